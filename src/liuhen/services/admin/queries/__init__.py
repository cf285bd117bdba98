"""The admin feature's SQL: users, sign-in failures, sessions, the TOTP step, accounts
(账户管理: the list with each one's last sign-in, a password's last event), holiday schedules
and the ledger's first event. Every function returns plain values; an inclusion proof's SQL
is in ``proofs``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    column,
    delete,
    func,
    select,
    table,
    update,
)
from sqlalchemy.sql.expression import ColumnClause

from liuhen.errors import InvalidInput
from liuhen.store import tables as t
from liuhen.store.driver_rows import DriverSelect
from liuhen.store.rows import row_digest
from liuhen.store.store import Store

# -- users --------------------------------------------------------------------------------


def user_row(store: Store, user_id: str) -> dict[str, Any] | None:
    """The ``users`` row of ``user_id``, or None."""
    with store.read() as conn:
        row = conn.execute(select(t.users).where(t.users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def user_row_named(store: Store, username: str) -> dict[str, Any] | None:
    """The ``users`` row of ``username``, or None."""
    with store.read() as conn:
        row = conn.execute(select(t.users).where(t.users.c.username == username)).mappings().first()
    return dict(row) if row else None


def username_taken(conn: Connection, username: str) -> bool:
    """Whether a user already has ``username`` (inside the caller's transaction)."""
    return (
        conn.execute(select(t.users.c.id).where(t.users.c.username == username)).first() is not None
    )


def user_total(conn: Connection) -> int:
    """How many users the database holds (on any connection, e.g. a bare engine's)."""
    return int(conn.execute(select(func.count()).select_from(t.users)).scalar_one())


def ledger_genesis(conn: Connection) -> tuple[bool, str | None]:
    """Whether the ledger has any event, and the fingerprint of the key it is signed with:
    the one event #0 recorded, or the newest ``ledger.key_rotated`` event's new key (None
    when it has none or it cannot be read; ``verify`` checks the rotations' signatures): on
    any connection."""
    import json

    ev = t.ledger_events
    if conn.execute(select(ev.c.seq).limit(1)).first() is None:
        return False, None
    payload: ColumnClause[Any] = column("payload")
    raw = conn.execute(
        select(payload)
        .select_from(table("ledger_events"))
        .where(column("action") == "ledger.key_rotated")
        .order_by(column("seq").desc())
        .limit(1)
    ).scalar()
    field = "new_fingerprint"
    if raw is None:
        raw = conn.execute(
            select(payload).select_from(table("ledger_events")).where(column("seq") == 0)
        ).scalar()
        field = "key_fingerprint"
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        found = data.get(field) if isinstance(data, dict) else None
    except ValueError:
        found = None
    return True, found if isinstance(found, str) else None


def user_count(store: Store) -> int:
    """How many users the store holds."""
    with store.read() as conn:
        return user_total(conn)


def failure_times(
    store: Store, subject_id: str, actions: tuple[str, ...], since: datetime, limit: int
) -> list[datetime]:
    """When the newest ``limit`` events ``actions`` about user ``subject_id`` since
    ``since`` happened, newest first."""
    ev = t.ledger_events
    with store.read() as conn:
        return [
            r[0]
            for r in conn.execute(
                select(ev.c.occurred_at)
                .where(
                    ev.c.subject_type == "user",
                    ev.c.subject_id == subject_id,
                    ev.c.action.in_(actions),
                    ev.c.occurred_at >= since,
                )
                .order_by(ev.c.occurred_at.desc())
                .limit(limit)
            )
        ]


def last_totp_payload(store: Store, user_id: str) -> dict[str, Any] | None:
    """The payload of the user's last ``auth.totp_succeeded`` event, or None."""
    ev = t.ledger_events
    with store.read() as conn:
        payload: dict[str, Any] | None = conn.execute(
            select(ev.c.payload)
            .where(
                ev.c.subject_type == "user",
                ev.c.subject_id == user_id,
                ev.c.action == "auth.totp_succeeded",
            )
            .order_by(ev.c.seq.desc())
            .limit(1)
        ).scalar()
    return payload


def resolve_placement(
    store: Store, *, agency: str | None, officer: str | None
) -> dict[str, str | None]:
    """``agency_id`` and ``officer_id`` from an id, an agency name or a certificate number."""
    found: dict[str, str | None] = {"agency_id": None, "officer_id": None}
    with store.read() as conn:
        if agency:
            found["agency_id"] = conn.execute(
                select(t.agencies.c.id).where(
                    (t.agencies.c.id == agency) | (t.agencies.c.name == agency)
                )
            ).scalar()
            if found["agency_id"] is None:
                raise InvalidInput(f"agency: 没有标识或名称为 {agency} 的机关")
        if officer:
            row = conn.execute(
                select(t.officers.c.id, t.officers.c.agency_id).where(
                    (t.officers.c.id == officer) | (t.officers.c.certificate_no == officer)
                )
            ).first()
            if row is None:
                raise InvalidInput(f"officer: 没有标识或执法证号为 {officer} 的执法人员")
            found["officer_id"] = row.id
            found["agency_id"] = found["agency_id"] or row.agency_id
    return found


# -- accounts (账户管理) ---------------------------------------------------------------

SIGNED_IN = "auth.login_succeeded"
PASSWORD_EVENTS = ("user.password_reset", "user.password_changed")


def account_version(row: Mapping[Any, Any]) -> str:
    """A short fingerprint of a ``users`` row as it stands (any change to the account
    changes it): a confirmation page carries it, the change checks it under the row lock."""
    return row_digest("users", {c.name: row[c.name] for c in t.users.c})[:24]


def _accounts() -> Any:
    """Accounts with their agency's name and their last recorded sign-in (per account, on
    the ledger's subject index)."""
    u, ev = t.users, t.ledger_events
    last = (
        select(func.max(ev.c.occurred_at))
        .where(ev.c.subject_type == "user", ev.c.subject_id == u.c.id, ev.c.action == SIGNED_IN)
        .correlate(u)
        .scalar_subquery()
    )
    return select(u, t.agencies.c.name.label("agency_name"), last.label("last_sign_in")).join(
        t.agencies, t.agencies.c.id == u.c.agency_id, isouter=True
    )


def account_rows(
    store: Store, agency_id: str | None, *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the accounts of ``agency_id`` (None: of every agency), by agency and
    username, and how many there are in all."""
    where = [] if agency_id is None else [t.users.c.agency_id == agency_id]
    order = (func.coalesce(t.agencies.c.name, ""), t.users.c.username)
    with store.read() as conn:
        total = conn.execute(select(func.count()).select_from(t.users).where(*where)).scalar_one()
        rows = conn.execute(_accounts().where(*where).order_by(*order).offset(offset).limit(limit))
        return [dict(r) for r in rows.mappings()], int(total)


def account_row(store: Store, user_id: str) -> dict[str, Any] | None:
    """One account as ``account_rows`` gives it, or None."""
    with store.read() as conn:
        row = conn.execute(_accounts().where(t.users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def enabled_admins(conn: Connection) -> int:
    """How many enabled accounts hold the admin role (inside the caller's transaction)."""
    rows = conn.execute(select(t.users.c.roles).where(t.users.c.disabled.is_(False)))
    return sum("admin" in (roles or ()) for (roles,) in rows)


def last_password_event(store: Store, user_id: str) -> str | None:
    """The action of the account's newest password event (``PASSWORD_EVENTS``), or None."""
    ev = t.ledger_events
    with store.read() as conn:
        action: str | None = conn.execute(
            select(ev.c.action)
            .where(
                ev.c.subject_type == "user",
                ev.c.subject_id == user_id,
                ev.c.action.in_(PASSWORD_EVENTS),
            )
            .order_by(ev.c.seq.desc())
            .limit(1)
        ).scalar()
    return action


# -- sessions (not records: inserted, moved on and deleted outside the ledger) ------------


def end_user_sessions(conn: Connection, user_id: str, keep: str | None = None) -> None:
    """Delete every session of ``user_id`` (inside the caller's transaction), but the one
    whose token hash is ``keep`` (the request's own, when a user changes their password)."""
    stmt = t.sessions.delete().where(t.sessions.c.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(t.sessions.c.token_hash != keep)
    conn.execute(stmt)


def insert_session(store: Store, values: Mapping[str, Any]) -> None:
    """Store a new ``sessions`` row in a transaction of its own."""
    with store.engine.begin() as conn:
        conn.execute(t.sessions.insert().values(**values))


_SESSION_COLUMNS = ("token_hash", "csrf_token", "last_seen_at")
_USER_COLUMNS = (
    "id", "username", "display_name", "roles", "agency_id", "section", "officer_id", "disabled"
)  # fmt: skip
_SESSION_WITH_USER = DriverSelect(
    select(
        *(t.sessions.c[n].label(f"s_{n}") for n in _SESSION_COLUMNS),
        *(t.users.c[n].label(f"u_{n}") for n in _USER_COLUMNS),
    )
    .join_from(t.sessions, t.users, t.users.c.id == t.sessions.c.user_id)
    .where(t.sessions.c.token_hash == bindparam("token_hash"))
)
"""A session and its user by the token's hash, what resuming a session reads of them, on
the driver's cursor (``store/driver_rows``): every signed-in request asks it first."""


def session_with_user(
    store: Store, token_hash: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The session of ``token_hash`` (its ``token_hash``, ``csrf_token`` and
    ``last_seen_at``) and what a ``User`` is made of its user's row, in one statement; or
    None."""
    with store.read() as conn:
        found = _SESSION_WITH_USER.first(conn, {"token_hash": token_hash})
    if found is None:
        return None
    session = {n: found[f"s_{n}"] for n in _SESSION_COLUMNS}
    return session, {n: found[f"u_{n}"] for n in _USER_COLUMNS}


def session_row(store: Store, token_hash: str) -> dict[str, Any] | None:
    """The ``sessions`` row of ``token_hash``, or None."""
    with store.read() as conn:
        row = (
            conn.execute(select(t.sessions).where(t.sessions.c.token_hash == token_hash))
            .mappings()
            .first()
        )
    return dict(row) if row else None


def delete_session(store: Store, token_hash: str) -> None:
    """Delete the session of ``token_hash`` in a transaction of its own."""
    with store.engine.begin() as conn:
        conn.execute(delete(t.sessions).where(t.sessions.c.token_hash == token_hash))


def touch_session(store: Store, token_hash: str, now: datetime) -> None:
    """Move the session's idle timer on to ``now`` (never back) in a transaction of its own."""
    with store.engine.begin() as conn:
        conn.execute(
            update(t.sessions)
            .where(t.sessions.c.token_hash == token_hash, t.sessions.c.last_seen_at < now)
            .values(last_seen_at=now)
        )


# -- holidays and the ledger --------------------------------------------------------------


def loaded_schedules(store: Store) -> dict[int, dict[str, Any]]:
    """The newest loaded ``holiday_schedules`` row of each year, with its loader's
    ``display_name``."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.holiday_schedules, t.users.c.display_name)
            .join(t.users, t.users.c.id == t.holiday_schedules.c.created_by, isouter=True)
            .order_by(t.holiday_schedules.c.created_at, t.holiday_schedules.c.id)
        ).mappings()
        return {int(r["year"]): dict(r) for r in rows}  # the newest row of a year wins
