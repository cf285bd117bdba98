"""``liuhen verify`` and ``liuhen ledger checkpoint | proof EVENT``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from liuhen.cli.context import Progress, emit_json, open_store, operator_actor
from liuhen.errors import PROBLEMS_FOUND

if TYPE_CHECKING:
    from liuhen.services.archiving.integrity import VerifyReport


STAGES = {"ledger": "校验日志事件", "blobs": "校验文件"}
"""The label of each stage's progress bar (shown only on a terminal)."""


def register(cli: click.Group) -> None:
    cli.add_command(verify)
    cli.add_command(ledger)


@click.command()
@click.option(
    "--fingerprint",
    default=None,
    metavar="SHA256:HEX",
    help="固定的签名公钥指纹（记在数据目录之外的那一份），与签名密钥比对，不符即报告",
)
@click.option("--quick", is_flag=True, help="不按记录重算案件摘要（大库时较快；其余照常校验）")
@click.option(
    "--blobs",
    "rehash",
    is_flag=True,
    help="重新读取并计算每个文件的摘要（默认只核对文件存在与大小，内容由 liuhen fixity 按限速定期核对）",
)
@click.option(
    "--since-last",
    "since_last",
    is_flag=True,
    help="增量校验：续接上次记录的校验，只读其后写入的事件、记录与文件（默认完整校验；"
    "无可续接或发现问题时自动改为完整校验）",
)
@click.option(
    "--read-only", "read_only", is_flag=True, help="不在日志中记录本次校验（检查副本或证据时用）"
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    default=None,
    metavar="N",
    help="校验日志用的进程数（默认：多核机器上日志超过 20 万条时为 2，否则为 1）",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def verify(
    ctx: click.Context,
    fingerprint: str | None,
    quick: bool,
    rehash: bool,
    since_last: bool,
    read_only: bool,
    jobs: int | None,
    as_json: bool,
) -> None:
    """全库完整性校验：退出码 0 表示完好，1 表示发现问题。

    校验本身不改动任何数据；完好时在日志中记一条“已校验”事件（--read-only 则不记），
    发现问题时什么也不写，保持原样以便查证。"""
    from liuhen.errors import InvalidInput
    from liuhen.ledger.checkpoint import parse_fingerprint
    from liuhen.services.archiving.integrity import record_verification
    from liuhen.services.archiving.integrity import verify as run_verify

    try:
        pinned = parse_fingerprint(fingerprint) if fingerprint is not None else None
    except ValueError:
        raise InvalidInput(
            f"--fingerprint: {fingerprint!r} 不是公钥指纹，应为 SHA256: 加 64 位十六进制"
        ) from None
    store = open_store(ctx)
    actor = operator_actor()
    bars: dict[str, Progress] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            for earlier in bars.values():  # one bar at a time: the stage before is done
                earlier.close()
            bars[stage] = Progress(STAGES.get(stage, stage), total)
        bars[stage].update_to(done)

    report = run_verify(
        store,
        actor,
        fingerprint=pinned,
        caches=not quick,
        progress=progress,
        jobs=jobs,
        blobs=rehash,
        since_last=since_last,
    )
    for b in bars.values():
        b.close()
    recorded = None if read_only else record_verification(store, actor, report)
    if as_json:
        emit_json({**report.to_dict(), "recorded_seq": recorded})
    else:
        _print_report(report, recorded)
    sys.exit(0 if report.ok else PROBLEMS_FOUND)


def _print_report(report: VerifyReport, recorded: int | None) -> None:
    read = f"（其中新校验 {report.events - report.since} 条）" if report.since is not None else ""
    click.echo(
        f"日志事件 {report.events} 条{read}，检查点 {report.checkpoints} 个，记录 {report.rows} 行，"
        f"文件 {report.blobs} 个（{report.blob_bytes} 字节），案件摘要 {report.summaries} 个"
    )
    if report.key_fingerprint:
        compared = "、".join(report.pinned) or "无"
        click.echo(f"签名公钥指纹：{report.key_fingerprint}（比对：{compared}）")
    for note in report.notes:
        click.echo(f"提示：{note}")
    if report.ok:
        click.echo("完整性校验通过：未发现篡改。")
        if recorded is not None:
            click.echo(f"本次校验已记入日志（事件 #{recorded}）。")
        return
    click.echo(f"发现 {report.problems_total} 处问题（未写入任何数据）：")
    for p in report.problems:
        number = report.case_numbers.get(p.object)
        where = f"案件 {number} 的记录 {p.object}" if number else p.object
        click.echo(f"  [{p.kind}] {where}：{p.message}")
    hidden = report.problems_total - len(report.problems)
    if hidden:
        click.echo(f"  ……另有 {hidden} 处同类问题未列出（每类最多列出 50 处）")


@click.group()
def ledger() -> None:
    """全过程日志：检查点与包含证明。"""


@ledger.command("checkpoint")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def ledger_checkpoint(ctx: click.Context, as_json: bool) -> None:
    """立即签发一个检查点。"""
    from liuhen.services.admin.ledger import checkpoint_now

    store = open_store(ctx)
    cp = checkpoint_now(store, operator_actor())
    if as_json:
        emit_json(cp)
    else:
        click.echo(f"检查点：{cp['tree_size']} 条事件，根哈希 {cp['root_hash']}")
        click.echo(f"签名公钥指纹：{cp['key_fingerprint']}")


@ledger.command("rotate-key")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def ledger_rotate_key(ctx: click.Context, as_json: bool) -> None:
    """更换日志签名密钥：旧密钥签名一条轮换事件，指明新密钥；此后的检查点由新密钥签名。"""
    from liuhen.services.admin.rotation import rotate_key

    store = open_store(ctx)
    done = rotate_key(store, operator_actor())
    if as_json:
        emit_json(done)
        return
    click.echo(f"已更换签名密钥（日志事件 #{done['seq']}，由旧密钥签名）")
    click.echo(f"旧指纹：{done['old_fingerprint']}")
    click.echo(f"新指纹：{done['new_fingerprint']}（请更新 LIUHEN_LEDGER_FINGERPRINT 等固定值）")
    for name, answer in done["witnesses"].items():
        click.echo(f"见证 {name}：" + ("已接受新密钥" if answer == "ok" else f"未接受：{answer}"))


@ledger.command("proof")
@click.argument("event", type=int)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def ledger_proof(ctx: click.Context, event: int, as_json: bool) -> None:
    """输出事件 EVENT（序号）对最新检查点的包含证明，并当场验证。"""
    from liuhen.services.admin.ledger import inclusion_proof

    store = open_store(ctx)
    proof = inclusion_proof(store, operator_actor(), event)
    if as_json:
        emit_json(proof)
        return
    click.echo(
        f"事件 #{proof['seq']}：{proof['event']['action']}（{proof['event']['occurred_at']}）"
    )
    click.echo(f"叶哈希：{proof['leaf_hash']}")
    click.echo(
        f"检查点：{proof['checkpoint']['tree_size']} 条事件，根 {proof['checkpoint']['root_hash']}"
    )
    click.echo("证明路径：")
    for h in proof["proof"]:
        click.echo(f"  {h}")
    click.echo("验证结果：" + ("通过" if proof["verified"] else "失败"))
