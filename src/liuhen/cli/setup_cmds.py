"""``liuhen init``, ``serve`` and ``demo`` (the ``user`` group is ``user_cmds``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from liuhen.cli.context import emit_json, open_store, operator_actor, settings_from
from liuhen.errors import ConfigError

if TYPE_CHECKING:
    from liuhen.config import Settings
    from liuhen.services.admin.setup import InitResult


def register(cli: click.Group) -> None:
    cli.add_command(init)
    cli.add_command(serve)
    cli.add_command(demo)


@click.command()
@click.option("--admin-username", default="admin", show_default=True, help="首个管理员的用户名")
@click.option(
    "--admin-password",
    default=None,
    help="首个管理员的密码（默认读 LIUHEN_ADMIN_PASSWORD，否则提示输入）",
)
@click.option(
    "--encrypt-key",
    "protect",
    flag_value="encrypt",
    default=None,
    help="用口令（LIUHEN_KEY_PASSPHRASE_FILE 或 LIUHEN_KEY_PASSPHRASE）加密已有的签名密钥文件",
)
@click.option(
    "--decrypt-key",
    "protect",
    flag_value="decrypt",
    help="用所设置的口令解开签名密钥文件，改为不加密保存（更换口令时先解密再用新口令加密）",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def init(
    ctx: click.Context,
    admin_username: str,
    admin_password: str | None,
    protect: str | None,
    as_json: bool,
) -> None:
    """创建数据目录、数据库、签名密钥与首个管理员（可重复运行）；设置了口令时密钥加密保存。"""
    from liuhen.services.admin.setup import initialise, needs_first_admin

    settings = settings_from(ctx)
    password = admin_password or settings.admin_password
    if password is None and needs_first_admin(settings):
        if not click.get_text_stream("stdin").isatty():
            raise ConfigError(
                "LIUHEN_ADMIN_PASSWORD: 未设置首个管理员密码，且无法交互输入（请用 --admin-password）"
            )
        password = click.prompt(
            "首个管理员密码", hide_input=True, confirmation_prompt="再次输入密码"
        )
    result = initialise(
        settings,
        admin_username=admin_username,
        admin_password=password,
        protect=None if protect is None else protect == "encrypt",
    )
    payload = {
        "data_dir": str(settings.data_dir),
        "database": "sqlite" if settings.is_sqlite else "postgresql",
        "created_schema": result.created_schema,
        "upgraded_from": result.upgraded_from,
        "schema_revision": result.schema_revision,
        "admin_created": result.admin.username if result.admin else None,
        "key_fingerprint": result.fingerprint,
        "key_encrypted": result.key_encrypted,
        "key_changed": result.key_changed,
        "stations_adopted": list(result.stations_adopted),
        "stations_left_out": list(result.stations_left_out),
    }
    if as_json:
        emit_json(payload)
        return
    click.echo(f"数据目录：{settings.data_dir}")
    click.echo(_schema_line(result))
    if result.admin:
        click.echo(f"已创建管理员：{result.admin.username}")
    click.echo(f"日志签名公钥指纹：{result.fingerprint}")
    click.echo(_key_line(result.key_encrypted, result.key_changed))
    if result.stations_adopted:
        click.echo(
            f"已将升级前签发的 {len(result.stations_adopted)} 个采集站令牌纳入全过程日志："
            + "、".join(result.stations_adopted)
        )
    if result.stations_left_out:
        click.echo(
            f"注意：{len(result.stations_left_out)} 个采集站令牌在日志中没有签发记录，未纳入，"
            "接口将拒绝："
            + "、".join(result.stations_left_out)
            + "（请用 liuhen station revoke 吊销，liuhen station add 重新签发）"
        )


def _key_line(encrypted: bool, changed: bool) -> str:
    if encrypted:
        return "签名密钥：已用口令加密" + ("（刚刚加密）" if changed else "")
    if changed:
        return "签名密钥：已解密，现不加密保存"
    return (
        "签名密钥：未加密（设置 LIUHEN_KEY_PASSPHRASE_FILE 后运行 liuhen init --encrypt-key 加密）"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="服务进程数：多核服务器可设为 CPU 核数（每个进程各自连接数据库）",
)
@click.option(
    "--demo", "with_demo", is_flag=True, help="数据目录不存在则初始化，无案件则载入演示数据"
)
@click.option(
    "--without-pdf",
    is_flag=True,
    help="本机缺少中文字体或 PDF 本地库时仍然启动（每页顶部显示警告，文书与案卷 PDF 无法正确生成）",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int, with_demo: bool, without_pdf: bool
) -> None:
    """启动网页服务。本机缺少中文字体或 PDF 本地库时拒绝启动（见 liuhen doctor）。"""
    from liuhen.services.admin.doctor import pdf_warning

    settings = settings_from(ctx)
    warning = pdf_warning()
    if warning and not without_pdf:
        raise ConfigError(f"{warning}（或加 --without-pdf 仍然启动）")
    if warning:
        click.echo(f"警告：{warning}", err=True)
    import uvicorn

    from liuhen.web.app import create_app

    if with_demo:
        _prepare_demo(ctx)
    store = open_store(ctx)
    every = settings.fixity_interval_minutes * 60
    click.echo(f"留痕 LiuHen 已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    if every:
        click.echo(
            f"定期复核：每 {settings.fixity_interval_minutes} 分钟复核超过 "
            f"{settings.fixity_cycle_days} 天未复核的文件（限速 {settings.fixity_rate_mb} MB/秒）"
        )
    if workers == 1:
        app = create_app(settings, store=store, fixity_interval=every or None)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,  # at "warning" it logs nothing, yet formats every request
            forwarded_allow_ips=settings.trusted_proxies,
        )
        return
    _serve_workers(settings, host, port, workers)


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """Several processes: each builds the app from the environment (the settings are put
    there first) with a job runner of its own; each scheduled slot runs once, on one of them
    (or on another node): the database decides. This process holds the listening socket
    and deals each connection to the worker holding the fewest (``web/workers.py``)."""
    from liuhen.web.workers import serve as serve_workers

    env = settings.as_env()
    if settings.database_url.startswith("sqlite") and "LIUHEN_WRITE_BATCH" not in os.environ:
        env["LIUHEN_WRITE_BATCH"] = "1"  # (config.WRITE_BATCH: processes sharing SQLite)
    os.environ.update(env)
    options = {
        "app": "liuhen.web.app:app_from_environment",
        "factory": True,
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "forwarded_allow_ips": settings.trusted_proxies,
    }
    serve_workers(options, workers)  # this process deals the connections (web/workers.py)


def _prepare_demo(ctx: click.Context) -> None:
    from liuhen.demo.loader import load_demo
    from liuhen.services.admin.setup import generate_password, initialise, needs_first_admin

    settings = settings_from(ctx)
    admin_password = settings.admin_password
    if needs_first_admin(settings) and not admin_password:
        admin_password = generate_password()
        click.echo(f"首次运行：已创建管理员 admin，密码 {admin_password}（请登录后修改）")
    initialise(settings, admin_password=admin_password)
    store = open_store(ctx)
    result = load_demo(store, operator_actor())
    if result.loaded and result.accounts_file:
        click.echo(f"已载入演示数据，演示账号与密码见 {result.accounts_file}")
        for username, password in result.accounts.items():
            name, _, roles = result.who.get(username, "").partition("\t")
            click.echo(f"  {username:10} {password}  {name} {roles}".rstrip())


@click.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def demo(ctx: click.Context, as_json: bool) -> None:
    """载入演示机关、人员、设备与案件（已载入则不重复）。"""
    from liuhen.demo.loader import load_demo

    store = open_store(ctx)
    result = load_demo(store, operator_actor())
    if as_json:
        emit_json(
            {
                "loaded": result.loaded,
                "agency_id": result.agency_id,
                "accounts_file": str(result.accounts_file) if result.accounts_file else None,
                "usernames": sorted(result.accounts),
            }
        )
        return
    if not result.loaded:
        click.echo("演示数据已存在，未重复载入。")
        return
    click.echo(f"已载入演示数据；演示账号与随机密码已写入 {result.accounts_file}")


def _schema_line(result: InitResult) -> str:
    """What ``init`` did to the database's schema: created, migrated (from which revision)
    or nothing."""
    if result.created_schema:
        return "数据库：已创建"
    if result.upgraded_from:
        return f"数据库：已从结构版本 {result.upgraded_from} 升级到 {result.schema_revision}"
    return "数据库：已是最新结构"
