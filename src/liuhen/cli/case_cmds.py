"""``liuhen cases``."""

from __future__ import annotations

import click

from liuhen.cli.context import emit_json, open_store, operator_actor
from liuhen.cli.rules_cmds import table


def register(cli: click.Group) -> None:
    cli.add_command(cases)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def cases(ctx: click.Context, as_json: bool) -> None:
    """列出案件（编号、程序、阶段、未解决的问题数）。"""
    from liuhen.services.cases.cases import list_cases

    store = open_store(ctx)
    items = list_cases(store, operator_actor())
    if as_json:
        emit_json({"cases": [c.to_dict() for c in items]})
        return
    if not items:
        click.echo("暂无案件。")
        return
    rows = []
    for c in items:
        d = c.to_dict()
        counts = "—" if d["violations"] is None else f"违规 {d['violations']}，待办 {d['pending']}"
        rows.append(
            [d["number"], d["procedure_name"], d["stage_name"], counts, d["title"], d["id"]]
        )
    click.echo(table(["编号", "程序", "阶段", "问题", "名称", "标识"], rows))
