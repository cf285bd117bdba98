"""``liuhen file-case`` (归档移交), ``liuhen retention`` and ``liuhen dispose``."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from liuhen.cli.context import emit_json, open_store, operator_actor
from liuhen.errors import InvalidInput
from liuhen.ledger.events import Actor
from liuhen.store.store import Store


def register(cli: click.Group) -> None:
    cli.add_command(file_case_cmd)
    cli.add_command(retention_cmd)
    cli.add_command(dispose_cmd)


def _user(store: Store, username: str, role: str) -> tuple[Actor, str]:
    from liuhen.services.admin.users import find_user

    user = find_user(store, username)
    if user is None or user.disabled:
        raise InvalidInput(f"--user: 用户 {username} 不存在或已停用")
    if role not in user.roles:
        raise InvalidInput(f"--user: 用户 {username} 不是档案/音像管理员（custodian）")
    return user.actor, user.id


@click.command("file-case")
@click.argument("case")
@click.option("--custodian", required=True, metavar="USERNAME", help="接收案卷的档案管理员用户名")
@click.option("--at", "at", default=None, metavar="ISO时间", help="移交时间（默认现在），须带时区")
@click.option(
    "--term", type=click.Choice(["permanent", "30y", "10y"]), default=None, help="案卷保存期限"
)
@click.option(
    "--override-reason",
    default=None,
    metavar="理由",
    help="尚有阻止归档的评查发现时，机关负责人（--as 负责人用户名）越过提示的理由",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def file_case_cmd(
    ctx: click.Context,
    case: str,
    custodian: str,
    at: str | None,
    term: str | None,
    override_reason: str | None,
    as_json: bool,
) -> None:
    """把已结案的案件 CASE 的案卷归档移交给档案管理员（同时做四性检测）。

    尚有阻止归档的评查发现时拒绝移交（退出码 2，逐项列出并注明条文）；机关负责人可以
    --override-reason 说明理由越过提示，理由和这些发现记入全过程日志。"""
    from liuhen.services.archiving.filing import file_case
    from liuhen.services.cases.cases import find_case
    from liuhen.services.cases.gates import Override

    store = open_store(ctx)
    _actor, custodian_id = _user(store, custodian, "custodian")
    try:
        moment = datetime.fromisoformat(at) if at else None
    except ValueError:
        raise InvalidInput(f"--at: {at!r} 不是有效的时间，如 2026-12-01T09:30:00+08:00") from None
    filing = file_case(
        store,
        operator_actor(),
        find_case(store, case),
        custodian_id=custodian_id,
        filed_at=moment,
        retention_term=term or "",
        override=Override(override_reason) if override_reason is not None else None,
    )
    if as_json:
        emit_json(filing.to_dict())
        return
    ok = "通过" if filing.four_properties["ok"] else "未通过（详见案件页）"
    click.echo(
        f"已归档移交：{filing.filed_at.astimezone(store.settings.tz):%Y-%m-%d %H:%M}，"
        f"接收人 {filing.custodian}，保存期限 {filing.retention_term}；四性检测{ok}"
        f"（日志事件 #{filing.event_seq}）"
    )


@click.command("retention")
@click.argument("record")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def retention_cmd(ctx: click.Context, record: str, as_json: bool) -> None:
    """显示记录 RECORD 的保管期限类别、依据和到期日。"""
    from liuhen.services.archiving.queries.retention import record_retention
    from liuhen.services.permissions import require_record

    store = open_store(ctx)
    require_record(store, operator_actor(), "case.read", record)
    ret = record_retention(store, record)
    if as_json:
        emit_json({**ret.to_dict(), "expired": ret.expired(store.clock())})
        return
    until = f"{ret.until.astimezone(store.settings.tz):%Y-%m-%d}" if ret.until else "不设处置日期"
    click.echo(f"《{ret.title}》：{ret.class_name}，保存期限“{ret.term_name}”（{ret.citation}）")
    click.echo(f"保管至：{until}；{ret.explanation}")


@click.command("dispose")
@click.argument("record")
@click.option(
    "--user",
    "username",
    default=None,
    help="执行处置的档案/音像管理员用户名（不给则按 --as 的用户或服务器操作员）",
)
@click.option("--approval", default=None, metavar="ID", help="已批准的处置审批标识")
@click.option("--reason", default="", help="处置理由")
@click.option(
    "--request", "request", is_flag=True, help="只提请处置审批（期满后），不处置；输出审批标识"
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def dispose_cmd(
    ctx: click.Context,
    record: str,
    username: str | None,
    approval: str | None,
    reason: str,
    request: bool,
    as_json: bool,
) -> None:
    """处置保管期满的记录 RECORD：须经批准；期满前一律拒绝（并记入日志）。退出码 0 已处置。"""
    from liuhen.services.archiving.disposal import dispose, request_disposal

    store = open_store(ctx)
    actor = _user(store, username, "custodian")[0] if username else operator_actor()
    if request:
        approval_id = request_disposal(store, actor, record, reason=reason)
        if as_json:
            emit_json({"approval_id": approval_id, "record_id": record})
        else:
            click.echo(f"已提请处置审批 {approval_id}；批准后运行：")
            who = f" --user {username}" if username else ""
            click.echo(f"liuhen dispose {record}{who} --approval {approval_id}")
        return
    result = dispose(store, actor, record, approval_id=approval, reason=reason)
    if as_json:
        emit_json(result.to_dict())
        sys.exit(0)
    removed = sum(1 for f in result.files if f["bytes_removed"])
    click.echo(
        f"已处置记录 {record}：{len(result.files)} 个文件，删除 {removed} 个"
        f"（其余仍被其他记录使用）；审批 {result.approval_id}，日志事件 #{result.event_seq}"
    )
    for f in result.files:
        click.echo(
            f"  墓碑：{f['file_name']} SHA-256 {f['sha256']} SM3 {f['sm3']} {f['size']} 字节"
        )
