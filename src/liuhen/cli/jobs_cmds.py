"""``liuhen jobs run``: a job runner from the command line (beside or instead of the
``liuhen serve`` nodes): it claims the cluster's waiting jobs like any node, makes the
scheduled ones whose slot has begun (with ``--schedules``), and stops when none waits."""

from __future__ import annotations

import click

from liuhen.cli.context import emit_json, open_store, settings_from
from liuhen.errors import InvalidInput


def register(cli: click.Group) -> None:
    cli.add_command(jobs)


@click.group("jobs")
def jobs() -> None:
    """后台任务（导出、四性检测、录像遮盖、定期复核等，整个集群共用一个队列）。"""


@jobs.command("run")
@click.option("--once", is_flag=True, help="只运行一个任务")
@click.option("--schedules", is_flag=True, help="先建立已到时间的计划任务（如定期复核）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def run(ctx: click.Context, once: bool, schedules: bool, as_json: bool) -> None:
    """运行等待中的后台任务，直到没有等待的任务为止（或 --once 只运行一个）。任务在提交时已按
    提交人的权限检查，并以提交人的身份运行；同一任务不会被两个节点同时运行。"""
    from liuhen.jobs.kinds import runner_for

    if ctx.find_root().meta.get("liuhen.as_user"):
        raise InvalidInput("--as: 后台任务以提交人的身份运行，liuhen jobs run 不接受 --as")
    settings = settings_from(ctx)
    runner = runner_for(open_store(ctx), settings.fixity_interval_minutes * 60 or None)
    made = runner.make_scheduled() if schedules else 0
    ran = 0
    while runner.run_one():
        ran += 1
        if once:
            break
    if as_json:
        emit_json({"node": runner.node, "ran": ran, "scheduled": made})
        return
    click.echo(f"已运行 {ran} 个后台任务" + (f"，新建计划任务 {made} 个" if schedules else ""))
