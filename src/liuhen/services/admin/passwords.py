"""Passwords a user sets: changing one's own (after the current one), and replacing the
temporary password an administrator set (``accounts.reset_password``) at the next sign-in.

Whether a password is temporary is read from the ledger, not kept on the account: the
account's newest password event is ``user.password_reset`` (an administrator set it), not
``user.password_changed`` (the user did). So the ``users`` table keeps its columns and every
stored row keeps the digest its ledger event recorded.

A wrong current password is checked against the same lockout as signing in (5 checks in 15
minutes, ``store/throttle.py``) and is a ledger event; nothing else changes then.
"""

from __future__ import annotations

from argon2.exceptions import InvalidHashError, VerificationError

from liuhen.domain.limits import bad_text
from liuhen.errors import Conflict, InvalidInput, LiuhenError
from liuhen.services.admin.queries import end_user_sessions, last_password_event, user_row
from liuhen.services.admin.users import (
    User,
    _hash_password,
    _password_matches,
    check_password_policy,
    claim_check,
    locked_message,
)
from liuhen.store.store import Store
from liuhen.store.throttle import release

PASSWORD_MAX = 128
"""The longest password accepted (argon2 takes any length; a form field should not)."""


def must_change_password(store: Store, user_id: str) -> bool:
    """The account's password is a temporary one an administrator set."""
    return last_password_event(store, user_id) == "user.password_reset"


def new_password_problems(password: str, again: str) -> list[str]:
    """What is wrong with a new password typed twice: "password: …" / "again: …" lines."""
    if not password:
        return ["password: 请填写「新密码」"]
    problems = []
    wrong = bad_text(password, PASSWORD_MAX)
    if wrong:
        problems.append(f"password: 新密码{wrong}")
    else:
        try:
            check_password_policy(password)
        except LiuhenError as exc:
            problems.append(exc.message)
    if password != again:
        problems.append("again: 两次输入的新密码不一致")
    return problems


def change_own_password(
    store: Store, user: User, *, current: str, password: str, again: str, keep: str | None
) -> None:
    """The signed-in ``user`` changes their password: the current one first, the new one
    twice and within the policy. Their other sessions end (``keep``: the token hash of the
    session asking, which stays); one ``user.password_changed`` event. Any problem raises
    InvalidInput naming the field (``current``, ``password``, ``again``), nothing changed."""
    problems = [] if current else ["current: 请填写「当前密码」"]
    if current and not _current_matches(store, user, current):
        problems.append("current: 当前密码不正确，密码未修改")
    problems += new_password_problems(password, again)
    if current and password and password == current and not problems:
        problems.append("password: 新密码不能与当前密码相同")
    if problems:
        raise InvalidInput("密码未修改：请改正下列问题", details=problems)
    _store_own(store, user, password, {"other_sessions_ended": True}, keep=keep)


def _store_own(
    store: Store, user: User, password: str, marks: dict[str, bool], *, keep: str | None = None
) -> None:
    """The user's own new password stored, their sessions ended (but ``keep``), one
    ``user.password_changed`` event by the user (``marks`` say which way)."""
    with store.transaction(user.actor) as tx:
        tx.lock("users", user.id)
        tx.update(
            "users",
            user.id,
            {
                "password_hash": _hash_password(store.settings, password),
                "password_changed_at": store.clock(),
            },
        )
        end_user_sessions(tx.conn, user.id, keep=keep)
        tx.record(
            "user.password_changed",
            subject_type="user",
            subject_id=user.id,
            payload={"by": "self", **marks},
        )


def _matches(store: Store, stored: str, password: str) -> bool:
    try:
        return _password_matches(store.settings, stored, password)
    except (VerificationError, InvalidHashError):  # a mismatch, or a hash argon2 cannot read
        return False


def _current_matches(store: Store, user: User, current: str) -> bool:
    """Check the current password under the sign-in lockout; a failure is a ledger event.
    A locked account is refused unchecked (InvalidInput on ``current``)."""
    row = user_row(store, user.id)
    taken = claim_check(store, user.id)
    ok = taken.granted and row is not None and _matches(store, row["password_hash"], current)
    if ok:
        release(store, user.id, taken)
        return True
    with store.transaction(user.actor) as tx:
        tx.record(
            "auth.login_locked" if not taken.granted else "auth.password_change_failed",
            subject_type="user",
            subject_id=user.id,
            payload={"source": "web"},
        )
    if not taken.granted:
        raise InvalidInput(f"current: {locked_message(store, taken)}")
    return False


def replace_temporary_password(store: Store, user: User, *, password: str, again: str) -> None:
    """At the sign-in after a reset, the user chooses a password of their own (not the
    temporary one): every session of theirs ends (the caller starts the new one); one
    ``user.password_changed`` event marked ``after_reset``."""
    if not must_change_password(store, user.id):
        raise Conflict("密码已经修改过，无需再改：请重新登录")
    problems = new_password_problems(password, again)
    row = user_row(store, user.id)
    if not problems and row is not None:
        if _matches(store, row["password_hash"], password):
            problems.append("password: 新密码不能与管理员设置的临时密码相同")
    if problems:
        raise InvalidInput("密码未修改：请改正下列问题", details=problems)
    _store_own(store, user, password, {"after_reset": True})
