"""Server-side sessions: a random token in a cookie, its hash in the database.

Sessions expire after ``session_idle_minutes`` without a request, are rotated at login
and are deleted when the password changes. Each session has a CSRF token that every
form must send back. A request reads its session and user in one query and writes nothing;
the idle timer is moved on at most once every ``TOUCH`` (so a session may end up to that
much before ``session_idle_minutes`` of real inactivity, never after).

A password-only sign-in of an account that needs a second factor gets a *pending* session
instead: its CSRF column holds ``PENDING`` + a token, it lasts ``PENDING_MINUTES`` and it
opens nothing but the second-factor page (``resume_session`` ignores it).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from liuhen.services.admin.users import User, _user, get_user
from liuhen.store import tables as t
from liuhen.store.store import Store

COOKIE = "liuhen_session"
PENDING_COOKIE = "liuhen_pending"
PENDING = "2fa:"
PENDING_MINUTES = 5
TOUCH = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start_session(store: Store, user: User, *, pending: bool = False) -> tuple[str, str]:
    """Create a session (or a pending second-factor one); return (cookie token, csrf)."""
    token = secrets.token_urlsafe(32)
    csrf = (PENDING if pending else "") + secrets.token_urlsafe(24)
    now = store.clock()
    with store.engine.begin() as conn:
        conn.execute(
            t.sessions.insert().values(
                token_hash=_hash(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
            )
        )
    return token, csrf


def resume_session(store: Store, token: str | None) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, refreshing its idle timer; else None."""
    if not token:
        return None
    now = store.clock()
    idle = timedelta(minutes=store.settings.session_idle_minutes)
    with store.read() as conn:
        found = conn.execute(
            select(t.sessions, t.users)
            .join(t.users, t.users.c.id == t.sessions.c.user_id)
            .where(t.sessions.c.token_hash == _hash(token))
        ).first()
    if found is None:
        return None
    row = found._mapping
    if row[t.sessions.c.csrf_token].startswith(PENDING):
        return None
    seen = row[t.sessions.c.last_seen_at]
    token_hash = row[t.sessions.c.token_hash]
    if now - seen > idle:
        with store.engine.begin() as conn:
            conn.execute(delete(t.sessions).where(t.sessions.c.token_hash == token_hash))
        return None
    if now - seen >= TOUCH:
        with store.engine.begin() as conn:
            conn.execute(
                update(t.sessions)
                .where(t.sessions.c.token_hash == token_hash, t.sessions.c.last_seen_at < now)
                .values(last_seen_at=now)
            )
    user = _user({c.name: row[c] for c in t.users.c})
    if user.disabled:
        return None
    return user, row[t.sessions.c.csrf_token]


def end_session(store: Store, token: str | None) -> None:
    if token:
        with store.engine.begin() as conn:
            conn.execute(delete(t.sessions).where(t.sessions.c.token_hash == _hash(token)))


def resume_pending(store: Store, token: str | None) -> tuple[User, str] | None:
    """The user and CSRF token of a live pending (second-factor) session; else None."""
    if not token:
        return None
    with store.read() as conn:
        row = conn.execute(
            select(t.sessions).where(t.sessions.c.token_hash == _hash(token))
        ).first()
    if row is None or not row.csrf_token.startswith(PENDING):
        return None
    if store.clock() - row.created_at > timedelta(minutes=PENDING_MINUTES):
        end_session(store, token)
        return None
    user = get_user(store, row.user_id)
    if user is None or user.disabled:
        return None
    return user, row.csrf_token
