"""Written authorisations (授权): where a profile lets a deputy approve "经主要负责人授权"
(shanxi-forestry: 分管负责人 may grant a party's view or copy request when the principal head
authorised them, 004§37), the authorisation itself is on record here: who authorised whom,
to sign in which capacity, for what, from when to when, under which written instrument.

Grants and revocations are insert-only rows (a revocation names the grant it ends and when);
each is a ledger event. ``active_grant`` is what an approval checks at the moment of deciding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liuhen.domain import vocab
from liuhen.errors import Conflict, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.admin.users import User, get_user
from liuhen.services.approvals.model import ROLE_POSITIONS
from liuhen.services.approvals.queries import agency_users, grant_rows
from liuhen.services.permissions import require
from liuhen.store.store import Store
from liuhen.store.unit import new_id

SCOPES = {"access_request": "批准当事人查阅/复制申请"}
GRANTOR_POSITIONS = ("principal_head",)
"""Only the principal head authorises a deputy (主要负责人授权)."""


@dataclass(frozen=True)
class Grant:
    id: str
    agency_id: str
    user_id: str
    user_name: str
    position: str
    scope: str
    starts_at: datetime
    ends_at: datetime
    reference: str
    granted_by: str
    revoked_at: datetime | None
    revoked_reason: str

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None and self.revoked_at <= now:
            return "revoked"
        if now < self.starts_at:
            return "future"
        return "active" if now < self.ends_at else "expired"

    def state_name(self, now: datetime) -> str:
        return {"revoked": "已撤销", "future": "未生效", "active": "有效", "expired": "已到期"}[
            self.state(now)
        ]


def _grant_problems(
    actor: Actor,
    grantee: User | None,
    position: str,
    scope: str,
    starts_at: datetime,
    ends_at: datetime | None,
    reference: str,
) -> list[str]:
    """What is wrong with an authorisation's fields, one line a field."""
    problems: list[str] = []
    if grantee is None or grantee.disabled:
        problems.append("user_id: 请选择被授权人（须为在用账户）")
    elif grantee.id == actor.id:
        problems.append("user_id: 不能授权给自己")
    elif actor.agency_id is not None and grantee.agency_id != actor.agency_id:
        problems.append("user_id: 只能授权本机关的人员")
    elif position not in [p for r in grantee.roles for p in ROLE_POSITIONS.get(r, ())]:
        problems.append(
            f"position: {grantee.display_name} 的角色不能以“{vocab.POSITIONS.get(position, position)}”身份审批"
        )
    if position not in vocab.POSITIONS or position in GRANTOR_POSITIONS:
        problems.append("position: 请选择被授权人审批时的身份（如分管负责人）")
    if scope not in SCOPES:
        problems.append(f"scope: 请选择授权事项（{'、'.join(SCOPES.values())}）")
    if ends_at is None:
        problems.append("ends_at: 请填写授权截止时间（授权须有期限）")
    elif ends_at <= starts_at:
        problems.append("ends_at: 截止时间应晚于开始时间")
    if not reference.strip():
        problems.append("reference: 请填写授权书文号或名称")
    return problems


def grant_authorisation(
    store: Store,
    actor: Actor,
    *,
    user_id: str,
    position: str,
    scope: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    reference: str,
) -> str:
    """The principal head authorises ``user_id`` to sign in ``position`` for ``scope``."""
    require(actor, "authorisation.grant")
    grantee = get_user(store, user_id) if user_id else None
    starts_at = starts_at or store.clock()
    problems = _grant_problems(actor, grantee, position, scope, starts_at, ends_at, reference)
    if problems:
        raise InvalidInput("授权信息有误", details=problems)
    assert grantee is not None and ends_at is not None
    grant_id = new_id()
    with store.transaction(actor) as tx:
        tx.insert(
            "authorisations",
            {
                "id": grant_id,
                "agency_id": grantee.agency_id,
                "user_id": grantee.id,
                "position": position,
                "scope": scope,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "reference": reference.strip(),
                "ends_id": None,
                "details": {"grantor": actor.label, "grantor_position": "principal_head"},
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            "authorisation.granted",
            subject_type="user",
            subject_id=grantee.id,
            payload={
                "grant": grant_id,
                "position": position,
                "scope": scope,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "reference": reference.strip(),
            },
        )
    return grant_id


def revoke_authorisation(store: Store, actor: Actor, grant_id: str, *, reason: str) -> str:
    """End a grant now (a new row naming it); the approvals it covered stay as they were."""
    require(actor, "authorisation.grant")
    if not reason.strip():
        raise InvalidInput("reason: 请填写撤销理由")
    now = store.clock()
    with store.transaction(actor) as tx:
        tx.lock("authorisations", grant_id)  # two revocations: the second sees the first
        found = _grants(tx.conn, grant_id=grant_id)
        grant = found[0] if found else None
        if grant is None or actor.agency_id not in (None, grant.agency_id):
            raise NotFound(f"authorisation: 授权 {grant_id} 不存在")
        if grant.state(now) in ("revoked", "expired"):
            raise Conflict(f"authorisation: 该授权已{grant.state_name(now)}，无需撤销")
        row_id = new_id()
        tx.insert(
            "authorisations",
            {
                "id": row_id,
                "agency_id": grant.agency_id,
                "user_id": grant.user_id,
                "position": grant.position,
                "scope": grant.scope,
                "starts_at": now,
                "ends_at": now,
                "reference": grant.reference,
                "ends_id": grant_id,
                "details": {"reason": reason.strip(), "by": actor.label},
                "created_by": actor.id or "system",
                "created_at": now,
            },
        )
        tx.record(
            "authorisation.revoked",
            subject_type="user",
            subject_id=grant.user_id,
            payload={"grant": grant_id, "reason": reason.strip()},
        )
    return row_id


def active_grant(
    conn: Any, user_id: str | None, scope: str, position: str, at: datetime
) -> Grant | None:
    """The grant that lets ``user_id`` sign in ``position`` for ``scope`` at ``at``."""
    if user_id is None:
        return None
    for grant in _grants(conn, user_id=user_id):
        if grant.scope == scope and grant.position == position and grant.state(at) == "active":
            return grant
    return None


def list_grants(store: Store, actor: Actor) -> list[Grant]:
    """The grants of the actor's agency (every agency's at the command line), newest first."""
    require(actor, "case.read")
    with store.read() as conn:
        grants = _grants(conn, agency_id=actor.agency_id if actor.id is not None else None)
    return sorted(grants, key=lambda g: g.starts_at, reverse=True)


def _grants(
    conn: Any,
    *,
    grant_id: str | None = None,
    user_id: str | None = None,
    agency_id: str | None = None,
) -> list[Grant]:
    out = []
    for r, end in grant_rows(conn, grant_id=grant_id, user_id=user_id, agency_id=agency_id):
        out.append(
            Grant(
                id=r["id"],
                agency_id=r["agency_id"],
                user_id=r["user_id"],
                user_name=r["display_name"],
                position=r["position"],
                scope=r["scope"],
                starts_at=r["starts_at"],
                ends_at=r["ends_at"],
                reference=r["reference"],
                granted_by=str(r["details"].get("grantor", "")),
                revoked_at=end["starts_at"] if end else None,
                revoked_reason=str(end["details"].get("reason", "")) if end else "",
            )
        )
    return out


def grantee_choices(store: Store, actor: Actor) -> list[tuple[str, str]]:
    """(id, name) of who may be authorised: the agency's other active users whose role signs
    as a deputy (a head)."""
    return [
        (r["id"], r["display_name"])
        for r in agency_users(store, actor.agency_id)
        if r["id"] != actor.id and not r["disabled"] and "head" in (r["roles"] or [])
    ]
