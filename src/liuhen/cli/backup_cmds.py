"""``liuhen backup --out DIR`` and ``liuhen restore DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from liuhen.cli.context import Progress, emit_json, open_store, operator_actor, settings_from
from liuhen.errors import InvalidInput


def register(cli: click.Group) -> None:
    cli.add_command(backup)
    cli.add_command(restore)


class _Bars:
    """One progress bar per stage of long work (only when a person is watching)."""

    LABELS = {"blobs": "复制文件", "check": "核对备份"}

    def __init__(self) -> None:
        self.bars: dict[str, Progress] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.bars:
            self.bars[stage] = Progress(self.LABELS.get(stage, stage), total)
        self.bars[stage].update_to(done)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@click.command("backup")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="备份目录（新的或空的目录）",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def backup(ctx: click.Context, out: Path, as_json: bool) -> None:
    """备份整个存储（运行中即可）：数据库的一致快照（SQLite 在线备份 / pg_dump）、文件存储
    （本地存储复制文件；S3 存储列出每个对象及其摘要）、签名密钥、检查点记录和见证登记，
    以及列出每个文件 SHA-256 的 MANIFEST。"""
    from liuhen.services.admin.backup import back_up

    store = open_store(ctx)
    bars = _Bars()
    try:
        done = back_up(store, operator_actor(), out, progress=bars)
    finally:
        bars.close()
    if as_json:
        emit_json(done)
        return
    _print_backup(done)


def _print_backup(done: dict[str, Any]) -> None:
    ledger, blobs = done["ledger"], done["blob_store"]
    engine = "SQLite（在线备份）" if done["engine"] == "sqlite" else "PostgreSQL（pg_dump）"
    click.echo(f"备份已完成：{done['out']}")
    click.echo(f"数据库：{engine}，结构版本 {done['schema_revision']}")
    click.echo(
        f"日志：{ledger['events']} 条事件，已签名检查点 {ledger['size']}，根哈希 {ledger['root_hash']}"
    )
    if blobs["copied"]:
        click.echo(f"文件：已复制 {blobs['count']} 个（{blobs['bytes']} 字节）")
    else:
        click.echo(
            f"文件：S3 存储 {blobs['location']} 中的 {blobs['count']} 个对象已列入 blobs.jsonl"
            "（对象键、SHA-256、SM3、长度），未复制对象本身：存储桶的数据由对象存储的复制/版本保留负责"
        )
    if blobs["missing"]:
        click.echo(
            f"提醒：存储中缺少 {len(blobs['missing'])} 个有记录的文件（已按审批处置或已丢失），未能备份"
        )
    if blobs["altered"]:
        click.echo(
            f"提醒：{len(blobs['altered'])} 个文件的内容与其摘要不符（已损坏），按现状备份；请运行 liuhen verify"
        )
    click.echo(
        f"清单：MANIFEST（{done['file_count']} 个文件，共 {done['total_bytes']} 字节，各附 SHA-256）"
    )
    if done["recorded_seq"] is not None:
        click.echo(f"本次备份已记入日志（事件 #{done['recorded_seq']}）。")
    else:
        click.echo(f"本次备份未记入日志：{done['not_recorded']}")


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="目标存储已有数据时仍然恢复（原有数据移到 replaced-时间 目录保留）",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def restore(ctx: click.Context, source: Path, force: bool, as_json: bool) -> None:
    """从备份目录 SOURCE 恢复整个存储：先逐个核对 MANIFEST 中的 SHA-256（损坏即拒绝，不改动
    任何数据），再恢复数据库、文件、签名密钥、检查点记录和见证登记，校验后在日志中记录这次恢复
    并签发新检查点（交给见证）。请先停止 liuhen serve。"""
    from liuhen.services.admin.restore import restore as run_restore

    if ctx.find_root().meta.get("liuhen.as_user"):
        raise InvalidInput(
            "--as: liuhen restore 以服务器操作员的身份运行（数据库可能尚不存在），不接受 --as"
        )
    bars = _Bars()
    try:
        done = run_restore(settings_from(ctx), operator_actor(), source, force=force, progress=bars)
    finally:
        bars.close()
    if as_json:
        emit_json(done)
        return
    _print_restore(done)


def _print_restore(done: dict[str, Any]) -> None:
    backup, after = done["backup"], done["after"]
    click.echo(
        f"已从备份 {backup['path']}（{backup['created_at']}，{backup['size']} 条事件的检查点）恢复"
    )
    if done["replaced"]:
        click.echo(f"被取代的数据库、签名密钥和检查点记录保留在 {done['replaced']}")
    click.echo("校验：恢复后的存储完好。")
    click.echo(
        f"恢复已记入日志（事件 #{done['recorded_seq']}），新检查点 {after['size']} 条事件，"
        f"根哈希 {after['root_hash']}"
    )
    lost = done["superseded"]
    if lost:
        click.echo(
            f"回滚：恢复前已签名至 {lost['size']} 条事件（见于 {'、'.join(lost['known_from'])}），"
            f"备份之后的 {lost['size'] - (backup['size'] or 0)} 条事件不在恢复后的日志中；恢复事件记录了这一点。"
        )
    for finding in done["witness_findings"]:
        click.echo(f"见证：[{finding['kind']}] {finding['object']}：{finding['message']}")
    if done["witness_findings"]:
        click.echo(
            "见证仍保存着恢复前的日志，liuhen verify 将照实报告上述问题，直到见证方确认这次恢复"
            "（见 docs/security.md“备份与恢复”）。"
        )
