"""``liuhen user``: accounts from the server's command line. ``add`` creates one; ``disable``,
``enable`` and ``reset-totp`` are the web's 账户管理 changes (``services/admin/accounts.py``)
for an operator who cannot use the web (the last administrator lost their authenticator)."""

from __future__ import annotations

import click

from liuhen.cli.context import emit_json, open_store, operator_actor
from liuhen.errors import ConfigError


def register(cli: click.Group) -> None:
    cli.add_command(user)


@click.group()
def user() -> None:
    """用户管理。"""


@user.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="角色，可重复：officer、section_head、legal_reviewer、head、custodian、supervisor、admin",
)
@click.option("--password", default=None, help="密码（不给则提示输入）")
@click.option("--section", default="", help="所在科室")
@click.option("--agency", default=None, help="所属机关（标识或名称）；权限范围按机关划分")
@click.option("--officer", default=None, help="对应的执法人员（标识或执法证号）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def user_add(
    ctx: click.Context,
    username: str,
    display_name: str,
    roles: tuple[str, ...],
    password: str | None,
    section: str,
    agency: str | None,
    officer: str | None,
    as_json: bool,
) -> None:
    """新增用户。系统管理员、机关负责人、档案/音像管理员须绑定动态验证码：命令输出绑定密钥与链接。"""
    from liuhen.services.admin.queries import resolve_placement
    from liuhen.services.admin.totp import enrolment_secret, needs_totp, provisioning_uri
    from liuhen.services.admin.users import add_user

    store = open_store(ctx)
    if password is None:
        if not click.get_text_stream("stdin").isatty():
            raise ConfigError("password: 请用 --password 提供密码（非交互模式）")
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    created = add_user(
        store,
        operator_actor(),
        username=username,
        password=password,
        display_name=display_name,
        roles=list(roles),
        section=section,
        **resolve_placement(store, agency=agency, officer=officer),
    )
    enrolment: dict[str, str] = {}
    if needs_totp(created.roles):
        secret = enrolment_secret(store, created, operator_actor())
        enrolment = {"totp_secret": secret, "totp_uri": provisioning_uri(secret, username)}
    if as_json:
        emit_json(
            {
                "id": created.id,
                "username": created.username,
                "roles": list(created.roles),
                "agency_id": created.agency_id,
                **enrolment,
            }
        )
    else:
        click.echo(f"已创建用户 {created.username}（{'、'.join(created.roles)}）")
        if enrolment:
            click.echo("该账号登录须输入动态验证码。请在验证器应用中添加：")
            click.echo(f"  密钥：{enrolment['totp_secret']}")
            click.echo(f"  链接：{enrolment['totp_uri']}")
            click.echo("首次登录时输入应用显示的 6 位数字完成绑定。")


def _done(as_json: bool, username: str, change: str, message: str) -> None:
    if as_json:
        emit_json({"username": username, "change": change})
    else:
        click.echo(message)


@user.command("disable")
@click.argument("username")
@click.option("--reason", required=True, help="原因（记入全过程日志）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def user_disable(ctx: click.Context, username: str, reason: str, as_json: bool) -> None:
    """停用账户：不能再登录，已登录的会话立即退出。"""
    from liuhen.services.admin.accounts import account_id, disable_account

    store, actor = open_store(ctx), operator_actor()
    disable_account(store, actor, account_id(store, actor, username), reason=reason)
    _done(as_json, username, "disabled", f"已停用账户 {username}，其登录已全部退出")


@user.command("enable")
@click.argument("username")
@click.option("--reason", default="", help="原因（记入全过程日志，可不填）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def user_enable(ctx: click.Context, username: str, reason: str, as_json: bool) -> None:
    """重新启用已停用的账户。"""
    from liuhen.services.admin.accounts import account_id, enable_account

    store, actor = open_store(ctx), operator_actor()
    enable_account(store, actor, account_id(store, actor, username), reason=reason)
    _done(as_json, username, "enabled", f"已启用账户 {username}")


@user.command("reset-totp")
@click.argument("username")
@click.option("--reason", required=True, help="原因（记入全过程日志）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def user_reset_totp(ctx: click.Context, username: str, reason: str, as_json: bool) -> None:
    """重置动态验证码：原验证器作废，会话退出，下次登录时重新绑定。"""
    from liuhen.services.admin.accounts import account_id, reset_totp

    store, actor = open_store(ctx), operator_actor()
    reset_totp(store, actor, account_id(store, actor, username), reason=reason)
    _done(as_json, username, "totp_reset", f"已重置 {username} 的动态验证码，下次登录时重新绑定")
