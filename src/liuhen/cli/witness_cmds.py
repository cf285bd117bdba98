"""``liuhen witness serve | add | list``: witnesses between agencies."""

from __future__ import annotations

from typing import Any

import click

from liuhen.cli.context import emit_json, open_store, operator_actor, settings_from


def register(cli: click.Group) -> None:
    cli.add_command(witness)


@click.group()
def witness() -> None:
    """见证：为其他机关的日志副署检查点 / 为本机关的日志登记见证。"""


@witness.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8090, show_default=True, type=int, help="监听端口")
@click.option(
    "--name", default=None, help="见证的名称（写入副署行，如 sfj.example-county/witness）"
)
@click.option(
    "--log",
    "logs",
    multiple=True,
    metavar="VKEY",
    help="固定一个被见证日志的公钥（乡镇 liuhen witness list 打印的“本日志公钥”），可多次给出",
)
@click.pass_context
def witness_serve(
    ctx: click.Context, host: str, port: int, name: str | None, logs: tuple[str, ...]
) -> None:
    """运行见证服务（C2SP tlog-witness）：核对一致性证明后副署下级机关的检查点。

    见证密钥与每个日志最后副署的检查点保存在 数据目录/witness/，不需要数据库。"""
    import uvicorn

    from liuhen.services.oversight.witness_server import WitnessServer
    from liuhen.store.witness_files import WitnessFiles
    from liuhen.web.oversight.witness_app import create_witness_app

    settings = settings_from(ctx)
    server = WitnessServer(WitnessFiles(settings.data_dir / "witness"), name)
    for log_key in logs:
        state = server.trust(log_key)
        click.echo(f"见证日志 {state.origin}（已副署至 {state.size} 条事件）")
    for state in server.files.states():
        if not logs or state.origin not in {s.split("+")[0] for s in logs}:
            click.echo(f"见证日志 {state.origin}（已副署至 {state.size} 条事件）")
    click.echo(f"见证公钥：{server.vkey}")
    click.echo(f"留痕见证服务已启动：http://{host}:{port}/  （Ctrl+C 停止）", err=False)
    uvicorn.run(create_witness_app(server), host=host, port=port, log_level="warning")


@witness.command("add")
@click.argument("target")
@click.option("--key", default=None, metavar="VKEY", help="HTTP 见证的副署公钥（见证端打印）")
@click.option("--name", default=None, help="见证的名称（默认取自公钥或地址）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def witness_add(
    ctx: click.Context, target: str, key: str | None, name: str | None, as_json: bool
) -> None:
    """登记见证：TARGET 为上级机关见证服务的 URL、一个目录的绝对路径或 s3://桶/前缀。"""
    from liuhen.services.oversight.witnesses import add_witness, log_vkey

    store = open_store(ctx)
    added = add_witness(store, operator_actor(), target, key=key, name=name)
    if as_json:
        emit_json({**added, "log": log_vkey(store)})
        return
    click.echo(f"已登记见证 {added['name']}（{added['kind']}：{added['target']}）")
    sent = added["sent"]
    click.echo("已发送最新检查点。" if sent == "ok" else f"最新检查点未能送达：{sent}（之后补发）")
    click.echo(f"本日志公钥（交见证端 liuhen witness serve --log 固定）：{log_vkey(store)}")


@witness.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def witness_list(ctx: click.Context, as_json: bool) -> None:
    """列出本机关日志的见证，及各自最后保存或副署的检查点规模。"""
    from liuhen.services.oversight.witnesses import list_witnesses

    listing = list_witnesses(open_store(ctx), operator_actor())
    if as_json:
        emit_json(listing)
        return
    click.echo(f"本日志公钥：{listing['log']}")
    click.echo(f"最新已签名检查点：{listing['signed_size']} 条事件")
    if not listing["witnesses"]:
        click.echo("尚未登记见证（liuhen witness add）。")
    for w in listing["witnesses"]:
        click.echo(_line(w))


def _line(w: dict[str, Any]) -> str:
    held = "未知（由 liuhen verify 读取）" if w["last_size"] is None else f"{w['last_size']} 条事件"
    what = "最后副署" if w["kind"] == "http" else "最后保存"
    error = f"；最近一次发送失败：{w['last_error']}" if w.get("last_error") else ""
    return f"  {w['name']}（{w['kind']}：{w['target']}）{what}：{held}{error}"
