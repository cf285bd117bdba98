"""``liuhen calendar``: the years the working-day calendar knows, and loading the official
holiday arrangement of a year the ``chinese_calendar`` package does not know yet."""

from __future__ import annotations

from pathlib import Path

import click

from liuhen.cli.context import emit_json, open_store, operator_actor


def register(cli: click.Group) -> None:
    cli.add_command(calendar)


@click.group("calendar")
def calendar() -> None:
    """节假日安排：查看已知年份，载入新一年的安排（国务院办公厅通知）。"""


@calendar.command("show")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def calendar_show(ctx: click.Context, as_json: bool) -> None:
    """列出工作日计算已知的年份及来源；未知年份的期限报告为“节假日安排未知”。"""
    from liuhen.services.admin.holidays import known_years
    from liuhen.services.permissions import require

    store = open_store(ctx)
    require(operator_actor(), "case.read")
    years = known_years(store)
    if as_json:
        emit_json([y.to_dict() for y in years])
        return
    package = [y.year for y in years if y.origin == "package"]
    if package:
        click.echo(f"{package[0]}–{package[-1]} 年：chinese_calendar 程序包提供")
    for y in years:
        if y.origin == "loaded":
            when = (
                f"{y.loaded_at.astimezone(store.settings.tz):%Y-%m-%d %H:%M}" if y.loaded_at else ""
            )
            click.echo(
                f"{y.year} 年：管理员载入（{y.source}；{y.loaded_by} {when}），"
                f"调休放假 {y.holidays} 天、周末上班 {y.workdays} 天"
            )
    last = years[-1].year if years else None
    if last is not None:
        click.echo(f"{last + 1} 年及以后尚未知：落在其中的期限报告为“节假日安排未知”。")


@calendar.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--source", required=True, help="依据，如“国办发明电〔2026〕×号”")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def calendar_load(ctx: click.Context, file: Path, source: str, as_json: bool) -> None:
    """载入节假日安排文件 FILE（YAML 或 JSON，格式见 docs/calendar.md），即时生效。"""
    from liuhen.services.admin.holidays import load_schedule

    store = open_store(ctx)
    years = load_schedule(store, operator_actor(), file, source=source)
    if as_json:
        emit_json({"years": years, "source": source})
        return
    click.echo(f"已载入 {'、'.join(str(y) for y in years)} 年的节假日安排（{source}）。")
    click.echo("落在这些年份的期限已按新安排计算。")
    click.echo(
        "案件列表与看板的评查结果由后台任务按新安排重新评查（由运行中的服务器执行；"
        "没有服务器运行时请执行 liuhen jobs run）。"
    )
