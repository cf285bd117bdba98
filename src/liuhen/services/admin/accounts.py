"""账户管理: an administrator's changes to other people's accounts (disable, enable, reset the
password, reset the second factor, change the roles) and the list they are made from.

Scope follows ``user.manage``'s grant (``services/permissions.py``): a grant over every
agency reaches every account, a narrower one the accounts of the manager's own agency.

Each change is one transaction with its ledger event, and none is made silently over
another: the account's row is locked first (``Tx.lock``), then the state the change starts
from is checked (disabling an account already disabled is a Conflict), and a change made from
a confirmation page carries the account's version as the page showed it (``seen``): if
another administrator changed the account in between, this one is refused with a Conflict
saying so. A change that takes administration away from an account checks after the ledger
head is locked (every writer passes there one at a time) that an enabled administrator is
left. An administrator cannot disable their own account or take away their own rights.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from liuhen.domain.limits import NOTE_MAX, bad_text
from liuhen.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.admin.passwords import new_password_problems
from liuhen.services.admin.queries import (
    account_row,
    account_rows,
    account_version,
    enabled_admins,
    end_user_sessions,
    user_row_named,
)
from liuhen.services.admin.totp import needs_totp
from liuhen.services.admin.users import _hash_password
from liuhen.services.permissions import ALL, ROLES, allowed, require, scope_of
from liuhen.store.store import Store
from liuhen.store.unit import Tx

MANAGE = "user.manage"


@dataclass(frozen=True)
class Account:
    """One account as the list and the confirmation pages show it (no hash, no secret)."""

    id: str
    username: str
    display_name: str
    roles: tuple[str, ...]
    agency_id: str | None
    agency_name: str
    section: str
    disabled: bool
    totp_enrolled: bool
    totp_issued: bool
    """A secret was issued (enrolment begun or done): there is something to reset."""
    last_sign_in: datetime | None
    version: str

    @property
    def role_names(self) -> list[str]:
        return [ROLES.get(role, role) for role in self.roles]

    @property
    def needs_totp(self) -> bool:
        return needs_totp(self.roles)


def _account(row: dict[str, Any]) -> Account:
    return Account(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        roles=tuple(row["roles"] or ()),
        agency_id=row["agency_id"],
        agency_name=row["agency_name"] or "",
        section=row["section"] or "",
        disabled=bool(row["disabled"]),
        totp_enrolled=row["totp_enabled_at"] is not None,
        totp_issued=row["totp_secret"] is not None or row["totp_enabled_at"] is not None,
        last_sign_in=row["last_sign_in"],
        version=account_version(row),
    )


def list_accounts(
    store: Store, actor: Actor, *, page: int = 1, size: int = 50
) -> tuple[list[Account], int]:
    """One page of the accounts ``actor`` may manage, and how many there are."""
    require(actor, MANAGE)
    everyone = actor.id is None or scope_of(actor, MANAGE) == ALL
    if not everyone and actor.agency_id is None:
        return [], 0
    rows, total = account_rows(
        store, None if everyone else actor.agency_id, offset=(page - 1) * size, limit=size
    )
    return [_account(row) for row in rows], total


def get_account(store: Store, actor: Actor, user_id: str) -> Account:
    """The account ``user_id`` for a confirmation page: NotFound, or PermissionDenied when
    it is beyond the actor's reach."""
    require(actor, MANAGE)
    row = account_row(store, user_id)
    if row is None:
        raise NotFound(f"user: 账户 {user_id} 不存在")
    _require_reach(actor, row["agency_id"])
    return _account(row)


def account_id(store: Store, actor: Actor, username: str) -> str:
    """The id of the account named ``username`` (for the command line): the permission
    first, then NotFound."""
    require(actor, MANAGE)
    row = user_row_named(store, username)
    if row is None:
        raise NotFound(f"user: 用户 {username} 不存在")
    return str(row["id"])


def _require_reach(actor: Actor, agency_id: str | None) -> None:
    if allowed(actor, MANAGE, {"agency_id": agency_id}):
        return
    exc = PermissionDenied(f"{actor.label} 无权管理其他机关的账户：“管理用户”的权限仅限本机关")
    exc.actor, exc.action = actor, MANAGE
    raise exc


def _reason(reason: str, *, required: bool = True) -> str:
    text = reason.strip()
    if required and not text:
        raise InvalidInput("reason: 请填写「原因」：将记入全过程日志")
    wrong = bad_text(text, NOTE_MAX)
    if wrong:
        raise InvalidInput(f"reason: 原因{wrong}")
    return text


@contextmanager
def _changing(store: Store, actor: Actor, user_id: str, seen: str) -> Iterator[tuple[Tx, Any]]:
    """The transaction of one change: the row locked, in reach, still the version the
    confirmation page showed (``seen``; empty from the command line)."""
    require(actor, MANAGE)
    with store.transaction(actor) as tx:
        tx.lock("users", user_id)
        row = tx.get("users", user_id)
        if row is None:
            raise NotFound(f"user: 账户 {user_id} 不存在")
        _require_reach(actor, row["agency_id"])
        if seen and account_version(row) != seen:
            raise Conflict(
                f"账户 {row['username']} 在您打开确认页之后已被修改（可能是另一位管理员同时操作），"
                "本次未作更改：请返回账户管理查看其现状后再操作"
            )
        yield tx, row


def _record(tx: Tx, action: str, row: Any, payload: dict[str, Any]) -> None:
    tx.record(
        action,
        subject_type="user",
        subject_id=row["id"],
        payload={"username": row["username"], **payload},
    )


def _admin_left(tx: Tx, row: Any) -> None:
    """After the event (the ledger head is locked): an enabled administrator remains."""
    if enabled_admins(tx.conn) == 0:
        raise Conflict(
            f"账户 {row['username']} 是最后一个启用的系统管理员账户，本次未作更改："
            "请先为另一账户授予系统管理员角色"
        )


def disable_account(
    store: Store, actor: Actor, user_id: str, *, reason: str, seen: str = ""
) -> None:
    """The account can no longer sign in; its sessions end now."""
    why = _reason(reason)
    if actor.id == user_id:
        raise InvalidInput("不能停用自己的账户：请由另一位系统管理员操作")
    with _changing(store, actor, user_id, seen) as (tx, row):
        if row["disabled"]:
            raise Conflict(f"账户 {row['username']} 已是停用状态，本次未作更改")
        tx.update("users", user_id, {"disabled": True})
        end_user_sessions(tx.conn, user_id)
        _record(tx, "user.disabled", row, {"reason": why})
        if "admin" in (row["roles"] or ()):
            _admin_left(tx, row)


def enable_account(
    store: Store, actor: Actor, user_id: str, *, reason: str = "", seen: str = ""
) -> None:
    """A disabled account may sign in again (with the password and factor it had)."""
    why = _reason(reason, required=False)
    with _changing(store, actor, user_id, seen) as (tx, row):
        if not row["disabled"]:
            raise Conflict(f"账户 {row['username']} 已是启用状态，本次未作更改")
        tx.update("users", user_id, {"disabled": False})
        _record(tx, "user.enabled", row, {"reason": why})


def reset_password(
    store: Store,
    actor: Actor,
    user_id: str,
    *,
    password: str,
    again: str,
    reason: str,
    seen: str = "",
) -> None:
    """Set a temporary password (the user chooses their own at the next sign-in,
    ``passwords.must_change_password``); the account's sessions end now."""
    problems = new_password_problems(password, again)
    try:
        why = _reason(reason)
    except InvalidInput as exc:
        problems.append(exc.message)
    if problems:
        raise InvalidInput("密码未重置：请改正下列问题", details=problems)
    if actor.id == user_id:
        raise InvalidInput("不能在此重置自己的密码：请用页面右上角的“修改密码”")
    with _changing(store, actor, user_id, seen) as (tx, row):
        tx.update(
            "users",
            user_id,
            {
                "password_hash": _hash_password(store.settings, password),
                "password_changed_at": store.clock(),
            },
        )
        end_user_sessions(tx.conn, user_id)
        _record(tx, "user.password_reset", row, {"reason": why, "must_change": True})


def reset_totp(store: Store, actor: Actor, user_id: str, *, reason: str, seen: str = "") -> None:
    """Forget the account's authenticator: it enrols a new one at the next sign-in (the
    second-factor page shows a new secret); its sessions end now."""
    why = _reason(reason)
    if actor.id == user_id:
        raise InvalidInput(
            "不能重置自己的动态验证码：请由另一位系统管理员操作，"
            "或在服务器上运行 liuhen user reset-totp"
        )
    with _changing(store, actor, user_id, seen) as (tx, row):
        if row["totp_secret"] is None and row["totp_enabled_at"] is None:
            raise Conflict(f"账户 {row['username']} 尚未绑定验证器，无需重置")
        tx.update("users", user_id, {"totp_secret": None, "totp_enabled_at": None})
        end_user_sessions(tx.conn, user_id)
        _record(tx, "user.totp_reset", row, {"reason": why})


def change_roles(
    store: Store,
    actor: Actor,
    user_id: str,
    *,
    roles: Sequence[str],
    reason: str,
    seen: str = "",
) -> None:
    """Give the account exactly ``roles``. Gaining a role that needs the second factor ends
    its sessions (the next sign-in asks for it). An administrator keeps their own rights."""
    wanted = sorted(set(roles))
    unknown = [r for r in wanted if r not in ROLES]
    if unknown:
        raise InvalidInput(f"roles: 角色无效：{'、'.join(unknown)}")
    if not wanted:
        raise InvalidInput("roles: 请至少选择一个角色")
    why = _reason(reason)
    with _changing(store, actor, user_id, seen) as (tx, row):
        before = sorted(row["roles"] or ())
        if before == wanted:
            raise InvalidInput("roles: 角色没有变化，本次未作更改")
        if actor.id == user_id and scope_of(replace(actor, roles=tuple(wanted)), MANAGE) is None:
            raise InvalidInput("roles: 不能取消自己的系统管理员角色：请由另一位系统管理员操作")
        tx.update("users", user_id, {"roles": wanted})
        if needs_totp(wanted) and not needs_totp(before):
            end_user_sessions(tx.conn, user_id)
        _record(tx, "user.roles_changed", row, {"from": before, "to": wanted, "reason": why})
        if "admin" in before and "admin" not in wanted and not row["disabled"]:
            _admin_left(tx, row)
