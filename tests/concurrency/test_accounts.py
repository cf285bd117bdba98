"""Account changes under several administrators at once (账户管理): four processes disabling
one account disable it once; four changes made from one confirmation page (disable, reset
the password, reset the second factor, change the roles) leave exactly one of them; two
administrators taking each other's administration away at once leave one administrator.
The others meet a conflict in Chinese, nothing is half done, and the store verifies."""

from __future__ import annotations

import ast
from typing import Any

from sqlalchemy import select

from liuhen.services.admin.accounts import disable_account, get_account
from liuhen.services.admin.totp import enrolment_secret
from liuhen.services.admin.users import find_user
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import ops
from tests.factories import make_agency, make_user
from tests.helpers import SYSTEM

CHANGES = {
    "disable": "user.disabled",
    "password": "user.password_reset",
    "totp": "user.totp_reset",
    "officer": "user.roles_changed",
}


def changes_of(store: Any, user_id: str) -> list[str]:
    ev = t.ledger_events
    with store.read() as conn:
        return list(
            conn.execute(
                select(ev.c.action)
                .where(ev.c.subject_id == user_id, ev.c.action.in_(CHANGES.values()))
                .order_by(ev.c.seq)
            ).scalars()
        )


def test_one_account_disabled_four_times_at_once_is_disabled_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(store)["agency"]
    boss = make_user(store, "boss", "admin", agency_id=agency)
    zhang = make_user(store, "zhang", "officer", agency_id=agency)
    results = racers.race(store, ops.change_account, boss.actor, "disable", zhang.id)
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert all("已是停用状态" in m for m in results.values("conflict")), results
    assert changes_of(store, zhang.id) == ["user.disabled"]
    assert find_user(store, "zhang").disabled
    assert verify(store, SYSTEM).ok


def test_four_changes_from_one_confirmation_page_leave_exactly_one(store, racers) -> None:  # type: ignore[no-untyped-def]
    """Four administrators opened the same account's pages; each submits a different change
    at the same moment. One is made; the others find the account changed since they looked."""
    agency = make_agency(store)["agency"]
    admins = [make_user(store, f"admin{i}", "admin", agency_id=agency) for i in range(4)]
    liu = make_user(store, "liu", "head", agency_id=agency)
    enrolment_secret(store, liu)
    seen = get_account(store, SYSTEM, liu.id).version
    each = [(a.actor, change, liu.id, seen) for a, change in zip(admins, CHANGES, strict=True)]
    results = racers.race_each(store, ops.change_account, each)
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert all("已被修改" in m for m in results.values("conflict")), results
    [won] = [ast.literal_eval(v) for v in results.values()]  # the change made, as repr'd
    assert changes_of(store, liu.id) == [CHANGES[won]]
    now = get_account(store, SYSTEM, liu.id)
    assert now.disabled == (won == "disable")
    assert now.totp_issued == (won != "totp")
    assert now.roles == (("officer",) if won == "officer" else ("head",))
    assert verify(store, SYSTEM).ok


def test_two_administrators_demoting_each_other_at_once_leave_one(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(store)["agency"]
    one = make_user(store, "one", "admin", agency_id=agency)
    two = make_user(store, "two", "admin", agency_id=agency)
    disable_account(store, SYSTEM, find_user(store, "admin").id, reason="初始账户停用")
    each = [(one.actor, "officer", two.id), (two.actor, "officer", one.id)]
    results = racers.race_each(store, ops.change_account, each)
    assert results.codes == {"ok": 1, "conflict": 1}, results
    assert "最后一个启用的系统管理员" in results.values("conflict")[0], results
    roles = sorted(find_user(store, name).roles for name in ("one", "two"))
    assert roles == [("admin",), ("officer",)]
    assert verify(store, SYSTEM).ok
