"""Users: create, authenticate, change password, disable. Every outcome is a ledger event."""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from liuhen.config import Settings
from liuhen.errors import AuthError, Conflict, InvalidInput
from liuhen.ledger.events import Actor
from liuhen.services.admin.queries import (
    end_user_sessions,
    user_row,
    user_row_named,
    username_taken,
)
from liuhen.services.permissions import ROLES, require
from liuhen.store.store import Store
from liuhen.store.throttle import Claim, claim, release
from liuhen.store.unit import new_id

_PRODUCTION_HASHER = PasswordHasher()
# LIUHEN_ENV=test only: argon2's lowest cost, so a test suite that creates hundreds of
# users does not spend minutes hashing. Verifying reads the cost from the stored hash, so
# hashes made at production cost still verify here.
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_HASHING = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
"""Argon2 takes 64 MiB and a core for each hash: at most one per CPU at a time, so twenty
people signing in at once queue for a few hundred milliseconds instead of taking 1.3 GB."""


def _hash_password(settings: Settings, password: str) -> str:
    with _HASHING:
        return password_hasher(settings).hash(password)


def _password_matches(settings: Settings, stored: str, password: str) -> bool:
    with _HASHING:
        return password_hasher(settings).verify(stored, password)


USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,40}$")
MIN_PASSWORD = 10


def password_hasher(settings: Settings) -> PasswordHasher:
    """The hasher for new passwords: production cost everywhere but test settings."""
    return _TEST_HASHER if settings.environment == "test" else _PRODUCTION_HASHER


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    roles: tuple[str, ...]
    agency_id: str | None
    section: str
    officer_id: str | None
    disabled: bool

    @property
    def actor(self) -> Actor:
        return Actor(
            id=self.id,
            label=f"{self.display_name}（{self.username}）",
            roles=self.roles,
            agency_id=self.agency_id,
            section=self.section,
            officer_id=self.officer_id,
        )


def _user(row: object) -> User:
    r: Any = row._mapping if hasattr(row, "_mapping") else row
    return User(
        id=r["id"],
        username=r["username"],
        display_name=r["display_name"],
        roles=tuple(r["roles"]),
        agency_id=r["agency_id"],
        section=r["section"],
        officer_id=r["officer_id"],
        disabled=bool(r["disabled"]),
    )


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password: 密码至少 {MIN_PASSWORD} 位")
    classes = sum(
        bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    if classes < 3:
        raise InvalidInput("password: 密码须包含大写字母、小写字母、数字、符号中的至少三类")


def add_user(
    store: Store,
    actor: Actor,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: list[str],
    agency_id: str | None = None,
    section: str = "",
    officer_id: str | None = None,
) -> User:
    require(actor, "user.manage")
    problems = []
    if not USERNAME.match(username):
        problems.append("username: 用户名应为 2–40 位字母、数字或 _ . -")
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        problems.append(f"roles: 角色无效 {unknown or '（未指定）'}，可选：{', '.join(ROLES)}")
    if not display_name.strip():
        problems.append("display_name: 姓名不能为空")
    if problems:
        raise InvalidInput("用户信息有误", details=problems)
    check_password_policy(password)
    now = store.clock()
    with store.transaction(actor) as tx:
        if username_taken(tx.conn, username):
            raise Conflict(f"username: 用户名 {username} 已存在")
        row = tx.insert(
            "users",
            {
                "id": new_id(),
                "agency_id": agency_id,
                "username": username,
                "display_name": display_name.strip(),
                "password_hash": _hash_password(store.settings, password),
                "roles": sorted(roles),
                "section": section,
                "officer_id": officer_id,
                "disabled": False,
                "created_at": now,
                "password_changed_at": now,
            },
        )
        tx.record(
            "user.created",
            subject_type="user",
            subject_id=row["id"],
            payload={"username": username, "roles": sorted(roles)},
        )
    return _user(row)


def get_user(store: Store, user_id: str) -> User | None:
    row = user_row(store, user_id)
    return _user(row) if row else None


def find_user(store: Store, username: str) -> User | None:
    row = user_row_named(store, username)
    return _user(row) if row else None


LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)


def claim_check(store: Store, subject_id: str) -> Claim:
    """Take one of the account's 5 checks in the 15-minute window before checking a password
    or a code (``store/throttle.py``: counted by the database, so 40 parallel attempts get
    at most 5 checks). A failed check keeps it; ``release`` gives back a successful one."""
    return claim(store, subject_id, limit=LOCKOUT_FAILURES, window=LOCKOUT_WINDOW)


def locked_message(store: Store, taken: Claim) -> str:
    """The refusal of a locked account, with the minutes left."""
    until = taken.until or store.clock()
    minutes = max(1, int((until - store.clock()).total_seconds() // 60) + 1)
    return f"登录失败次数过多，账号已暂时锁定，请约 {minutes} 分钟后再试"


def authenticate(store: Store, username: str, password: str, *, source: str = "web") -> User:
    """Check a password; a failure is a ledger event and one message that reveals nothing.

    After 5 failed attempts within 15 minutes the account (or the unknown name) is locked
    until the oldest of them is 15 minutes old: the password is not even checked, and the
    refusal is logged. Attempts in flight count as failures until they succeed."""
    row = user_row_named(store, username)
    subject_id = row["id"] if row is not None else f"unknown:{username[:40]}"
    taken = claim_check(store, subject_id)
    ok = False
    if taken.granted and row is not None and not row["disabled"]:
        try:
            ok = _password_matches(store.settings, row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            ok = False
    if ok:
        release(store, subject_id, taken)
    actor = (
        _user(row).actor
        if (row is not None and ok)
        else Actor(id=None, label=f"登录尝试：{username[:40]}")
    )
    action = (
        "auth.login_locked"
        if not taken.granted
        else ("auth.login_succeeded" if ok else "auth.login_failed")
    )
    with store.transaction(actor) as tx:
        tx.record(action, subject_type="user", subject_id=subject_id, payload={"source": source})
    if not taken.granted:
        raise AuthError(locked_message(store, taken))
    if not ok or row is None:
        raise AuthError("用户名或密码错误，或账号已停用")
    return _user(row)


def disable_user(store: Store, actor: Actor, user_id: str) -> None:
    """Stop an account: it can no longer sign in, and its sessions end now."""
    require(actor, "user.manage")
    with store.transaction(actor) as tx:
        if tx.get("users", user_id) is None:
            raise InvalidInput(f"user: 用户 {user_id} 不存在")
        tx.update("users", user_id, {"disabled": True})
        end_user_sessions(tx.conn, user_id)
        tx.record("user.disabled", subject_type="user", subject_id=user_id)


def set_password(store: Store, actor: Actor, user_id: str, password: str) -> None:
    if actor.id != user_id:
        require(actor, "user.manage")
    check_password_policy(password)
    with store.transaction(actor) as tx:
        if tx.get("users", user_id) is None:
            raise InvalidInput(f"user: 用户 {user_id} 不存在")
        tx.update(
            "users",
            user_id,
            {
                "password_hash": _hash_password(store.settings, password),
                "password_changed_at": store.clock(),
            },
        )
        end_user_sessions(tx.conn, user_id)
        tx.record("user.password_changed", subject_type="user", subject_id=user_id)
