"""The second sign-in factor (TOTP, RFC 6238) for the accounts that hold the most power.

Admin, head and custodian accounts must confirm a six-digit code from an authenticator app
after their password. The secret lives in ``users.totp_secret``; ``totp_enabled_at`` is set
when the user first proves the app works (enrolment). Wrong codes count towards the same
lockout as wrong passwords (5 checks in 15 minutes, counted by the database:
``store/throttle.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
import segno

from liuhen.errors import AuthError
from liuhen.ledger.events import Actor
from liuhen.services.admin.queries import last_totp_payload, user_row
from liuhen.services.admin.users import User, claim_check, locked_message
from liuhen.store.store import Store
from liuhen.store.throttle import release

TOTP_ROLES = frozenset({"admin", "head", "custodian"})
ISSUER = "留痕 LiuHen"


def needs_totp(roles: tuple[str, ...] | list[str]) -> bool:
    return bool(TOTP_ROLES.intersection(roles))


def _row(store: Store, user_id: str) -> dict[str, object]:
    row = user_row(store, user_id)
    if row is None:
        raise AuthError("用户不存在")
    return row


def is_enrolled(store: Store, user_id: str) -> bool:
    return _row(store, user_id)["totp_enabled_at"] is not None


def enrolment_secret(store: Store, user: User, actor: Actor | None = None) -> str:
    """The user's secret, created now (and logged) if the account has none yet."""
    secret = _row(store, user.id)["totp_secret"]
    if secret:
        return str(secret)
    secret = pyotp.random_base32()
    with store.transaction(actor or user.actor) as tx:
        tx.update("users", user.id, {"totp_secret": secret})
        tx.record("auth.totp_secret_issued", subject_type="user", subject_id=user.id)
    return secret


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG markup (no script, no external image)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def check_code(store: Store, user: User, code: str) -> None:
    """Accept the current code (±30 s), once, or raise AuthError; each try is a ledger
    event. The first accepted code completes enrolment. A locked account is refused
    unchecked; a code already used is refused and counts as a failure."""
    row = _row(store, user.id)
    secret = row["totp_secret"]
    taken = claim_check(store, user.id)
    step = None
    if taken.granted and secret:
        step = _matched_step(str(secret), code.strip(), store.clock())
    replayed = step is not None and step <= _last_step(store, user.id)
    ok = step is not None and not replayed
    if ok:
        release(store, user.id, taken)
    actor = user.actor if ok else Actor(id=None, label=f"登录尝试：{user.username}")
    action = (
        "auth.login_locked"
        if not taken.granted
        else ("auth.totp_succeeded" if ok else "auth.totp_failed")
    )
    with store.transaction(actor) as tx:
        if ok and row["totp_enabled_at"] is None:
            tx.update("users", user.id, {"totp_enabled_at": store.clock()})
            tx.record("auth.totp_enrolled", subject_type="user", subject_id=user.id)
        tx.record(
            action,
            subject_type="user",
            subject_id=user.id,
            payload={"source": "web", "step": step, "replayed": replayed},
        )
    if not taken.granted:
        raise AuthError(locked_message(store, taken))
    if replayed:
        raise AuthError("code: 该验证码已使用过，请等待验证器显示下一个验证码后再输入")
    if not ok:
        raise AuthError("code: 动态验证码错误或已过期，请输入验证器应用当前显示的 6 位数字")


def _matched_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step (now, or one either side for clock drift) the code belongs to."""
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        if code and pyotp.utils.strings_equal(totp.at(moment), code):
            return int(totp.timecode(moment))
    return None


def _last_step(store: Store, user_id: str) -> int:
    """The step of the last accepted code: a code is good once (no replay)."""
    payload = last_totp_payload(store, user_id)
    return int((payload or {}).get("step") or -1)
