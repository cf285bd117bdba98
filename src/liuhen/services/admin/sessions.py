"""Server-side sessions: a random token in a cookie, its hash in the database.

Sessions expire after ``session_idle_minutes`` without a request, are rotated at login
and are deleted when the password changes. Each session has a CSRF token that every
form must send back. A request reads its session and user in one query and writes nothing;
the idle timer is moved on at most once every ``TOUCH`` (so a session may end up to that
much before ``session_idle_minutes`` of real inactivity, never after).

A password-only sign-in of an account that needs a second factor gets a *pending* session
instead: its CSRF column holds ``PENDING`` + a token, it lasts ``PENDING_MINUTES`` and it
opens nothing but the second-factor page (``resume_session`` ignores it). A sign-in with a
temporary password (an administrator reset it) gets one of the same kind marked
``PASSWORD_STEP``, which opens nothing but the page to choose a new password.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from liuhen.services.admin.queries import (
    delete_session,
    insert_session,
    session_row,
    session_with_user,
    touch_session,
)
from liuhen.services.admin.users import User, _user, get_user
from liuhen.store.store import Store

COOKIE = "liuhen_session"
PENDING_COOKIE = "liuhen_pending"
PENDING = "2fa:"
PASSWORD_STEP = "pwd:"
STEPS = (PENDING, PASSWORD_STEP)
PENDING_MINUTES = 5
STEP_MINUTES = {PENDING: PENDING_MINUTES, PASSWORD_STEP: 15}
TOUCH = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """What the database keeps of a session's cookie token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


_hash = token_hash


def start_session(
    store: Store, user: User, *, pending: bool = False, step: str = PENDING
) -> tuple[str, str]:
    """Create a session (or a pending one for the sign-in ``step``: the second factor, or a
    new password); return (cookie token, csrf)."""
    token = secrets.token_urlsafe(32)
    csrf = (step if pending else "") + secrets.token_urlsafe(24)
    now = store.clock()
    insert_session(
        store,
        {
            "token_hash": _hash(token),
            "user_id": user.id,
            "csrf_token": csrf,
            "created_at": now,
            "last_seen_at": now,
        },
    )
    return token, csrf


def resume_session(store: Store, token: str | None) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, refreshing its idle timer; else None."""
    if not token:
        return None
    now = store.clock()
    idle = timedelta(minutes=store.settings.session_idle_minutes)
    found = session_with_user(store, _hash(token))
    if found is None:
        return None
    session, user_values = found
    if session["csrf_token"].startswith(STEPS):
        return None
    seen = session["last_seen_at"]
    key = session["token_hash"]
    if now - seen > idle:
        delete_session(store, key)
        return None
    if now - seen >= TOUCH:
        touch_session(store, key, now)
    user = _user(user_values)
    if user.disabled:
        return None
    return user, session["csrf_token"]


def end_session(store: Store, token: str | None) -> None:
    if token:
        delete_session(store, _hash(token))


def resume_pending(store: Store, token: str | None, step: str = PENDING) -> tuple[User, str] | None:
    """The user and CSRF token of a live pending session of ``step`` (the second factor,
    or a new password); else None."""
    if not token:
        return None
    row = session_row(store, _hash(token))
    if row is None or not row["csrf_token"].startswith(step):
        return None
    if store.clock() - row["created_at"] > timedelta(minutes=STEP_MINUTES[step]):
        end_session(store, token)
        return None
    user = get_user(store, row["user_id"])
    if user is None or user.disabled:
        return None
    return user, str(row["csrf_token"])
