"""``liuhen verify`` and ``liuhen ledger checkpoint | proof EVENT``."""

from __future__ import annotations

import sys

import click

from liuhen.cli.context import Progress, emit_json, open_store, operator_actor


def register(cli: click.Group) -> None:
    cli.add_command(verify)
    cli.add_command(ledger)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """全库完整性校验：退出码 0 表示完好，1 表示发现问题。"""
    from liuhen.services.archiving.integrity import verify as run_verify
    from liuhen.services.permissions import require

    store = open_store(ctx)
    actor = operator_actor()
    require(actor, "integrity.verify")
    bars: dict[str, Progress] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = Progress("校验文件", total)
        bars[stage].update_to(done)

    report = run_verify(store, actor, progress=progress)
    for b in bars.values():
        b.close()
    if as_json:
        emit_json(report.to_dict())
    else:
        click.echo(
            f"日志事件 {report.events} 条，检查点 {report.checkpoints} 个，记录 {report.rows} 行，"
            f"文件 {report.blobs} 个（{report.blob_bytes} 字节）"
        )
        for note in report.notes:
            click.echo(f"提示：{note}")
        if report.ok:
            click.echo("完整性校验通过：未发现篡改。")
        else:
            click.echo(f"发现 {len(report.problems)} 处问题：")
            for p in report.problems:
                click.echo(f"  [{p.kind}] {p.object}：{p.message}")
    sys.exit(0 if report.ok else 1)


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
