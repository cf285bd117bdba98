"""``liuhen profiles lint`` on an agency's own 评查表 (``score_sheet``): a sheet that cites its
own regulation passes; a line without its citation is named with its YAML path, exit 1."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli

from liuhen.errors import PROBLEMS_FOUND
from liuhen.rules.sources.profiles import shipped_dir

SHEET = """
score_sheet:
  citation: 003§19
  lines:
    - {id: av-made, deduct: 2}
    - {id: scene-photos, category: evidence, title: 现场照片附说明, manual: true, max: 3{cite}}
"""


def own(tmp_path: Path, cite: str) -> Path:
    path = tmp_path / "my-town.yaml"
    path.write_text(
        "id: my-town\nname: 某镇执法全过程记录办法\nsource: 003_c099024a1de7f10b.txt\n"
        f"extends: {shipped_dir() / 'zhangying-town.yaml'}\n" + SHEET.replace("{cite}", cite),
        encoding="utf-8",
    )
    return path


def test_an_agencys_own_sheet_passes_lint(tmp_path):
    result = run_cli(["profiles", "lint", str(own(tmp_path, ", citation: 003§14"))])
    assert result.code == 0, result.out + result.err
    assert "没有发现问题" in result.out


def test_a_sheet_line_without_its_citation_is_named_with_its_yaml_path(tmp_path):
    path = own(tmp_path, "")
    result = run_cli(["profiles", "lint", str(path)])
    assert result.code == PROBLEMS_FOUND, result.out + result.err
    assert f"{path}:10: score_sheet.lines[1]: 缺少 citation" in result.out + result.err
