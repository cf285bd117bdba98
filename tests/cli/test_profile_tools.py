"""``liuhen profiles lint`` and ``liuhen profiles diff`` as an agency's legal officer uses
them while writing the agency's own profile."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli

from liuhen.errors import PROBLEMS_FOUND

HEAD = """id: my-town
name: 某镇执法全过程记录办法
source: 003_c099024a1de7f10b.txt
rules:
"""
PRECHECK = """  - id: av-precheck
    type: av_precheck
    citation: 003§13
    severity: minor
    message: "{subject}开始前未检查：{missing}"
    remedy: 每次音像记录开始前检查设备。
    params: {items: [function, battery, storage]}
"""
BAD_RULES = """  - id: uncited
    type: av_precheck
    severity: minor
    message: m
    remedy: r
  - id: two-officers
    type: officers_certified
    citation: 003§8
    severity: major
    message: "{subject}只有 {count} 名执法人员"
    remedy: r
    params: {kinds: [inspection], minimum: 0}
  - id: misspelt
    type: av_precheks
    citation: 003§13
    severity: minor
    message: m
    remedy: r
  - id: foreign
    type: av_precheck
    citation: 004§11
    severity: minor
    message: m
    remedy: r
    params: {items: [battery]}
  - id: never
    type: av_precheck
    citation: 003§13
    procedures: []
    severity: minor
    message: m
    remedy: r
    params: {items: [battery]}
"""


def write(tmp_path: Path, text: str, name: str = "my-town.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_a_clean_profile_passes(tmp_path):
    path = write(tmp_path, HEAD + PRECHECK)
    result = run_cli(["profiles", "lint", str(path)])
    assert result.code == 0, result.out + result.err
    assert "没有发现问题" in result.out


def test_every_problem_is_named_with_its_line_and_yaml_path(tmp_path):
    path = write(tmp_path, HEAD + PRECHECK + BAD_RULES)
    result = run_cli(["profiles", "lint", str(path), "--json"])
    assert result.code == PROBLEMS_FOUND
    problems = result.json()["files"][0]["problems"]
    text = "\n".join(problems)
    assert f"{path}:12: rules[1]（规则 uncited）: 缺少 citation" in text
    assert (
        f"{path}:23: rules[2].params.minimum（规则 two-officers）: 0 超出范围（最小为 1）" in text
    )
    assert f"{path}:25: rules[3].type（规则 misspelt）: 未知的规则类型 'av_precheks'" in text
    assert "是不是 av_precheck？" in text
    assert f"{path}:32: rules[4].citation（规则 foreign）: 引用 004§11 出自《山西省林业" in text
    assert "既不是本配置的制度（003）" in text
    assert f"{path}:40: rules[5].procedures（规则 never）: procedures 为空" in text
    assert len(problems) == 5, problems
    human = run_cli(["profiles", "lint", str(path)])
    assert human.code == PROBLEMS_FOUND and "发现 5 处问题" in human.out


def test_a_profile_without_its_regulation_and_dead_overrides_are_named(tmp_path):
    text = """id: my-town
name: 某镇执法全过程记录办法
extends: zhangying-town
disable: [av-precheck]
rules:
  - id: av-precheck
    citation: 003§13
  - id: av-continuity
    params: {max_gap: 10s}
"""
    path = write(tmp_path, text)
    problems = run_cli(["profiles", "lint", str(path), "--json"]).json()["files"][0]["problems"]
    text = "\n".join(problems)
    assert f"{path}:4: disable[0]: 规则 av-precheck 先停用又在本文件中重新定义" in text
    assert f"{path}:8: rules[1]（规则 av-continuity）: 与上级配置中的同名规则完全相同" in text
    assert f"{path}:1: source: 没有写明" not in text, "the parent's regulation is the profile's"


def test_a_missing_file_is_one_line_and_exit_2(tmp_path):
    result = run_cli(["profiles", "lint", str(tmp_path / "nope.yaml")])
    assert result.code == 2 and "不存在" in result.err and "Traceback" not in result.err


def test_diff_separates_real_differences_from_renumbered_articles():
    result = run_cli(["profiles", "diff", "zhangying-town", "shanxi-township", "--json"])
    assert result.code == 0, result.err
    found = {d["rule"]: d for d in result.json()["differences"]}
    assert found["av-required"]["status"] == "cited"
    assert {c["field"] for c in found["av-required"]["changes"]} >= {"citation"}
    precheck = found["av-precheck"]
    assert precheck["status"] == "differs"
    assert "remedy" in {c["field"] for c in precheck["changes"]}
    assert "av-continuity" not in found or found["av-continuity"]["status"] == "cited"


def test_diff_names_rules_one_agency_has_and_params_by_item():
    result = run_cli(["profiles", "diff", "zhangying-town", "shanxi-forestry", "--json"])
    found = {d["rule"]: d for d in result.json()["differences"]}
    assert found["case-file-deadline"]["status"] == "only_b"
    assert found["case-file-deadline"]["citation_b"].startswith("004§35 ")
    fields = {c["field"] for c in found["act-documents"]["changes"]}
    assert "params.acts[seal_up].citation" in fields and "params.acts[sampling].documents" in fields
    human = run_cli(["profiles", "diff", "zhangying-town", "shanxi-forestry"])
    assert "只在 B 中" in human.out and "case-file-deadline" in human.out


def test_listing_still_works_as_before():
    result = run_cli(["profiles", "--json"])
    assert result.code == 0 and any(p["id"] == "zhangying-town" for p in result.json()["profiles"])


def test_every_shipped_profile_passes_lint():
    from liuhen.rules.sources.profiles import shipped_dir

    paths = [str(p) for p in sorted(shipped_dir().glob("*.yaml"))]
    result = run_cli(["profiles", "lint", *paths, "--json"])
    assert result.code == 0, [f for f in result.json()["files"] if not f["ok"]]
