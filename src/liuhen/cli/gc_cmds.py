"""``liuhen gc``: list stored objects no row refers to; with ``--delete``, reclaim them."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from liuhen.cli.context import Progress, emit_json, open_store, operator_actor, settings_from
from liuhen.errors import InvalidInput

if TYPE_CHECKING:
    from liuhen.services.archiving.gc import Listing, Reclaimed


def register(cli: click.Group) -> None:
    cli.add_command(gc)


@click.command("gc")
@click.option(
    "--grace",
    "grace_hours",
    type=click.FloatRange(min=0),
    default=None,
    metavar="HOURS",
    help="只列入超过这么多小时未写入的文件（默认 LIUHEN_GC_GRACE_HOURS，24）",
)
@click.option("--delete", is_flag=True, help="删除列出的文件（先列出、再确认；删除记入日志）")
@click.option("--yes", is_flag=True, help="与 --delete 同用：不再询问（脚本用）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def gc(
    ctx: click.Context, grace_hours: float | None, delete: bool, yes: bool, as_json: bool
) -> None:
    """列出文件存储中没有任何记录引用、且超过宽限期未写入的文件（写入中断的残留），
    不删除任何文件；加 --delete 在列出后确认并删除它们，每次删除在日志中记一条
    store.reclaimed 事件（各文件的 SHA-256、SM3 和长度）。正在写入、尚未登记的文件
    不会被列入，删除时逐个再次核对。"""
    from liuhen.services.archiving.gc import reclaim, unreferenced

    if ctx.find_root().meta.get("liuhen.as_user"):
        raise InvalidInput(
            "--as: liuhen gc 以服务器操作员的身份清理存储本身（不按角色授权），不接受 --as"
        )
    if yes and not delete:
        raise InvalidInput("--yes: 只与 --delete 同用（不加 --delete 时只列出，不删除）")
    if delete and not yes and not sys.stdin.isatty():
        raise InvalidInput(
            "--delete: 没有终端可以确认：请先运行 liuhen gc 查看清单，"
            "再以 liuhen gc --delete --yes 删除"
        )
    hours = settings_from(ctx).gc_grace_hours if grace_hours is None else grace_hours
    store = open_store(ctx)
    listing = unreferenced(store, timedelta(hours=hours))
    if not as_json:
        _print_listing(listing, delete)
    if not delete or not listing.candidates:
        if as_json:
            emit_json({**listing.to_dict(), "deleted": False})
        return
    if not yes:
        question = (
            f"确认删除以上 {len(listing.candidates)} 个文件（共 {listing.total_bytes:,} 字节）？"
        )
        click.confirm(question, abort=True, err=True)
    bar = Progress("核对并删除", listing.total_bytes)
    try:
        done = reclaim(store, operator_actor(), listing, progress=lambda d, _t: bar.update_to(d))
    finally:
        bar.close()
    if as_json:
        emit_json({**listing.to_dict(), "deleted": True, **done.to_dict()})
        return
    _print_reclaimed(done)


def _print_listing(listing: Listing, delete: bool) -> None:
    grace = f"{listing.grace_hours:g} 小时"
    found = len(listing.candidates)
    click.echo(
        f"文件存储 {listing.location}：共 {listing.stored} 个文件，"
        f"其中 {found} 个没有任何记录引用且已超过 {grace}未写入" + ("：" if found else "。")
    )
    for c in listing.candidates:
        click.echo(f"  {c.key}  {c.size:,} 字节  {_age(c.age_seconds)}  {c.to_dict()['message']}")
    if found:
        click.echo(f"合计 {found} 个，共 {listing.total_bytes:,} 字节。")
    skipped = []
    if listing.young:
        skipped.append(f"{listing.young} 个未登记的文件写入不足 {grace}（可能正在登记）")
    if listing.in_use:
        skipped.append(f"{listing.in_use} 个正被写入它的进程持有")
    if skipped:
        click.echo(f"另有 {'，'.join(skipped)}：均未列入。")
    if not found:
        click.echo("没有可清理的文件。")
    elif not delete:
        click.echo(
            "这只是清单，未删除任何文件。删除它们：liuhen gc --delete"
            "（确认后删除，每次删除记入日志；脚本中加 --yes）"
        )


def _print_reclaimed(done: Reclaimed) -> None:
    if done.removed:
        seqs = "、".join(f"#{s}" for s in done.event_seqs)
        total = sum(int(r["size"]) for r in done.removed)
        click.echo(
            f"已删除 {len(done.removed)} 个文件（共 {total:,} 字节），已记入日志（事件 {seqs}）。"
        )
    else:
        click.echo("没有删除任何文件。")
    for kept in done.kept:
        click.echo(f"未删除 {kept['sha256']}：{kept['message']}")


def _age(seconds: float) -> str:
    if seconds >= 86400:
        return f"已 {seconds / 86400:.1f} 天"
    return f"已 {seconds / 3600:.1f} 小时"
