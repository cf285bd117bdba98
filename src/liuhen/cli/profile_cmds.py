"""``liuhen profiles lint FILE…`` and ``liuhen profiles diff A B``: an agency writing its own
profile checks it before use, and sees rule by rule where two regulations differ."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from liuhen.cli.context import emit_json
from liuhen.errors import PROBLEMS_FOUND, InvalidInput

STATUS = {
    "only_a": "只在 A 中",
    "only_b": "只在 B 中",
    "differs": "两者都有，但要求不同",
    "cited": "要求相同，只是引用的条文不同",
}


@click.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def lint_cmd(files: tuple[str, ...], as_json: bool) -> None:
    """检查制度配置文件 FILE：格式、规则类型、参数范围、每条引用都出自本配置的制度或国家法律、
    没有永远不会适用的规则；每个问题给出文件、行号和 YAML 路径。退出码 0 没有问题，1 有问题。"""
    from liuhen.rules.sources.profile_lint import lint_profile

    reports = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise InvalidInput(f"{name}: 制度配置文件不存在")
        reports.append(lint_profile(path))
    bad = [r for r in reports if not r.ok]
    if as_json:
        emit_json({"ok": not bad, "files": [r.to_dict() for r in reports]})
    else:
        for r in reports:
            if r.ok:
                click.echo(f"{r.path}：没有发现问题")
                continue
            click.echo(f"{r.path}：发现 {len(r.problems)} 处问题")
            for problem in r.problems:
                click.echo(f"  {problem}")
    sys.exit(PROBLEMS_FOUND if bad else 0)


@click.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def diff_cmd(a: str, b: str, as_json: bool) -> None:
    """逐条比较制度配置 A 与 B（编号或文件路径）：只在一方的规则，两者都有但引用、严重程度、
    适用程序、提示或参数不同的规则。"""
    from liuhen.rules import load_profile
    from liuhen.rules.sources.profile_diff import diff_profiles

    found = diff_profiles(load_profile(a), load_profile(b))
    if as_json:
        emit_json(found.to_dict())
        return
    click.echo(f"A：{found.a.name}（{found.a.id}，{found.a.source or '无制度文件'}）")
    click.echo(f"B：{found.b.name}（{found.b.id}，{found.b.source or '无制度文件'}）")
    click.echo(f"{len(found.rules)} 条规则不同，{len(found.same)} 条相同")
    for status, label in STATUS.items():
        group = [r for r in found.rules if r.status == status]
        if not group:
            continue
        click.echo(f"\n{label}（{len(group)}）：")
        for r in group:
            cited = r.citation_a if status != "only_b" else r.citation_b
            head = f"  {r.rule}  {r.title}"
            if status == "cited":
                pairs = sorted({f"{va} ↔ {vb}" for n, va, vb in r.changes if n == "citation"})
                click.echo(f"{head}  〔{'；'.join(pairs) or '参数中的条文'}〕")
                continue
            click.echo(head if status == "differs" else f"{head}  〔{_short(cited, 40)}〕")
            for name, va, vb in r.changes:
                click.echo(f"      {name}")
                click.echo(f"        A：{_short(va)}")
                click.echo(f"        B：{_short(vb)}")


def _short(value: Any, limit: int = 60) -> str:
    if value is None:
        return "（无）"
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
