"""账户管理 and 修改密码 as services, on SQLite and PostgreSQL: each change is one ledger event
with its reason, ends the sessions it should, refuses a stale confirmation page and the
changes an administrator may not make to their own account, keeps an enabled administrator,
and reaches only the accounts ``user.manage``'s grant reaches."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests.factories import make_agency, make_user
from tests.helpers import SYSTEM

from liuhen.errors import AuthError, Conflict, InvalidInput, NotFound, PermissionDenied
from liuhen.services.admin.accounts import (
    change_roles,
    disable_account,
    enable_account,
    get_account,
    list_accounts,
    reset_password,
    reset_totp,
)
from liuhen.services.admin.passwords import (
    change_own_password,
    must_change_password,
    replace_temporary_password,
)
from liuhen.services.admin.sessions import resume_session, start_session, token_hash
from liuhen.services.admin.totp import enrolment_secret, is_enrolled
from liuhen.services.admin.users import authenticate, find_user
from liuhen.services.archiving.integrity import verify
from liuhen.services.permissions import AGENCY, GRANTS
from liuhen.store import tables as t

PASSWORD = "Officer-pass-2026"
TEMPORARY = "Temp-pass-2026!"


@pytest.fixture
def people(store) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    agency = make_agency(store)["agency"]
    other = make_agency(store, name="乙镇人民政府")["agency"]
    return {
        "agency": agency,
        "other": other,
        "admin": make_user(store, "boss", "admin", agency_id=agency),
        "officer": make_user(store, "zhang", "officer", agency_id=agency),
        "head": make_user(store, "liu", "head", agency_id=agency),
        "far": make_user(store, "far", "officer", agency_id=other),
    }


def events(store, action: str, subject: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    ev = t.ledger_events
    with store.read() as conn:
        rows = conn.execute(
            select(ev.c.payload, ev.c.actor_id)
            .where(ev.c.action == action, ev.c.subject_id == subject)
            .order_by(ev.c.seq)
        )
        return [{"payload": r.payload, "actor_id": r.actor_id} for r in rows]


def test_disabling_ends_the_sessions_at_once_and_enabling_lets_the_user_back(store, people):
    boss, zhang = people["admin"], people["officer"]
    token, _ = start_session(store, zhang)
    disable_account(store, boss.actor, zhang.id, reason="调离本单位")
    assert resume_session(store, token) is None
    with pytest.raises(AuthError):
        authenticate(store, "zhang", PASSWORD)
    [event] = events(store, "user.disabled", zhang.id)
    assert event["payload"]["reason"] == "调离本单位" and event["actor_id"] == boss.id
    enable_account(store, boss.actor, zhang.id)
    assert authenticate(store, "zhang", PASSWORD).id == zhang.id
    assert len(events(store, "user.enabled", zhang.id)) == 1
    assert verify(store, SYSTEM).ok


def test_a_change_to_the_state_it_already_has_is_a_conflict_recorded_nowhere(store, people):
    boss, zhang = people["admin"], people["officer"]
    with pytest.raises(Conflict, match="已是启用状态"):
        enable_account(store, boss.actor, zhang.id)
    disable_account(store, boss.actor, zhang.id, reason="离职")
    with pytest.raises(Conflict, match="已是停用状态"):
        disable_account(store, boss.actor, zhang.id, reason="离职")
    assert len(events(store, "user.disabled", zhang.id)) == 1
    with pytest.raises(Conflict, match="尚未绑定验证器"):
        reset_totp(store, boss.actor, zhang.id, reason="手机丢失")


def test_a_stale_confirmation_page_is_refused_and_changes_nothing(store, people):
    """Two administrators open the same account; the second to submit meets a Conflict."""
    boss, zhang = people["admin"], people["officer"]
    seen = get_account(store, boss.actor, zhang.id).version
    reset_password(
        store, boss.actor, zhang.id, password=TEMPORARY, again=TEMPORARY, reason="忘记密码",
        seen=seen,
    )  # fmt: skip
    with pytest.raises(Conflict, match="已被修改"):
        reset_password(
            store, boss.actor, zhang.id, password="Other-pass-2026!", again="Other-pass-2026!",
            reason="忘记密码", seen=seen,
        )  # fmt: skip
    assert authenticate(store, "zhang", TEMPORARY).id == zhang.id  # the first one holds
    assert len(events(store, "user.password_reset", zhang.id)) == 1


def test_reasons_are_required_for_destructive_changes_and_bad_input_changes_nothing(store, people):
    boss, zhang = people["admin"], people["officer"]
    with pytest.raises(InvalidInput, match="reason: 请填写「原因」"):
        disable_account(store, boss.actor, zhang.id, reason="  ")
    with pytest.raises(InvalidInput) as refused:
        reset_password(store, boss.actor, zhang.id, password="short", again="other", reason="")
    assert any(d.startswith("password: 密码至少") for d in refused.value.details)
    assert any(d.startswith("again: ") for d in refused.value.details)
    assert any(d.startswith("reason: ") for d in refused.value.details)
    with pytest.raises(InvalidInput, match="roles: 角色无效"):
        change_roles(store, boss.actor, zhang.id, roles=["wizard"], reason="调整")
    assert not find_user(store, "zhang").disabled
    assert authenticate(store, "zhang", PASSWORD).roles == ("officer",)


def test_a_reset_password_must_be_replaced_at_the_next_sign_in(store, people):
    boss, zhang = people["admin"], people["officer"]
    token, _ = start_session(store, zhang)
    reset_password(
        store, boss.actor, zhang.id, password=TEMPORARY, again=TEMPORARY, reason="忘记密码"
    )
    assert resume_session(store, token) is None
    assert must_change_password(store, zhang.id)
    with pytest.raises(InvalidInput, match="临时密码相同"):
        replace_temporary_password(store, zhang, password=TEMPORARY, again=TEMPORARY)
    replace_temporary_password(store, zhang, password="Mine-pass-2026", again="Mine-pass-2026")
    assert not must_change_password(store, zhang.id)
    assert authenticate(store, "zhang", "Mine-pass-2026").id == zhang.id
    with pytest.raises(Conflict):
        replace_temporary_password(
            store, zhang, password="Again-pass-2026", again="Again-pass-2026"
        )


def test_resetting_totp_makes_the_user_enrol_again(store, people):
    boss, liu = people["admin"], people["head"]
    enrolment_secret(store, liu)
    with store.transaction(SYSTEM) as tx:  # as if the first code had been accepted
        tx.update("users", liu.id, {"totp_enabled_at": store.clock()})
        tx.record("auth.totp_enrolled", subject_type="user", subject_id=liu.id)
    token, _ = start_session(store, liu)
    assert is_enrolled(store, liu.id)
    reset_totp(store, boss.actor, liu.id, reason="手机丢失")
    assert not is_enrolled(store, liu.id) and resume_session(store, token) is None
    with store.read() as conn:
        secret = conn.execute(select(t.users.c.totp_secret).where(t.users.c.id == liu.id))
        assert secret.scalar() is None  # a new secret is issued at the next sign-in
    assert events(store, "user.totp_reset", liu.id)[0]["payload"]["reason"] == "手机丢失"


def test_roles_change_with_their_reason_and_a_new_second_factor_role_signs_out(store, people):
    boss, zhang = people["admin"], people["officer"]
    token, _ = start_session(store, zhang)
    change_roles(store, boss.actor, zhang.id, roles=["officer", "legal_reviewer"], reason="兼任")
    assert resume_session(store, token) is not None  # no second factor gained: stays
    change_roles(store, boss.actor, zhang.id, roles=["officer", "custodian"], reason="调岗")
    assert resume_session(store, token) is None  # custodian signs in with a code
    last = events(store, "user.roles_changed", zhang.id)[-1]["payload"]
    assert last["from"] == ["legal_reviewer", "officer"] and last["to"] == ["custodian", "officer"]
    with pytest.raises(InvalidInput, match="角色没有变化"):
        change_roles(store, boss.actor, zhang.id, roles=["custodian", "officer"], reason="重复")


def test_an_administrator_keeps_their_own_rights(store, people):
    boss = people["admin"]
    with pytest.raises(InvalidInput, match="不能停用自己的账户"):
        disable_account(store, boss.actor, boss.id, reason="测试")
    with pytest.raises(InvalidInput, match="不能取消自己的系统管理员角色"):
        change_roles(store, boss.actor, boss.id, roles=["officer"], reason="测试")
    with pytest.raises(InvalidInput, match="修改密码"):
        reset_password(store, boss.actor, boss.id, password=TEMPORARY, again=TEMPORARY, reason="x")
    change_roles(store, boss.actor, boss.id, roles=["admin", "supervisor"], reason="兼任监督")
    assert find_user(store, "boss").roles == ("admin", "supervisor")


def test_the_last_enabled_administrator_is_kept(store, people):
    """From the command line (not confined to one agency): the initial admin and ``boss``
    are the administrators; the second of them cannot be disabled or demoted."""
    first = find_user(store, "admin")
    disable_account(store, SYSTEM, first.id, reason="初始账户停用")
    with pytest.raises(Conflict, match="最后一个启用的系统管理员"):
        disable_account(store, SYSTEM, people["admin"].id, reason="测试")
    with pytest.raises(Conflict, match="最后一个启用的系统管理员"):
        change_roles(store, SYSTEM, people["admin"].id, roles=["officer"], reason="测试")
    assert find_user(store, "boss").roles == ("admin",) and not find_user(store, "boss").disabled


def test_changing_ones_own_password_needs_the_current_one(store, people):
    zhang = people["officer"]
    here, _ = start_session(store, zhang)
    elsewhere, _ = start_session(store, zhang)
    with pytest.raises(InvalidInput) as refused:
        change_own_password(
            store, zhang, current="wrong-pass", password="New-pass-2026", again="New-pass-2026",
            keep=token_hash(here),
        )  # fmt: skip
    assert refused.value.details == ["current: 当前密码不正确，密码未修改"]
    assert len(events(store, "auth.password_change_failed", zhang.id)) == 1
    assert resume_session(store, elsewhere) is not None  # nothing changed
    assert authenticate(store, "zhang", PASSWORD).id == zhang.id
    change_own_password(
        store, zhang, current=PASSWORD, password="New-pass-2026", again="New-pass-2026",
        keep=token_hash(here),
    )  # fmt: skip
    assert resume_session(store, here) is not None and resume_session(store, elsewhere) is None
    assert authenticate(store, "zhang", "New-pass-2026").id == zhang.id
    assert not must_change_password(store, zhang.id)


def test_the_list_shows_every_agency_to_a_grant_over_all_of_them(store, people):
    accounts, total = list_accounts(store, people["admin"].actor)
    names = [a.username for a in accounts]
    assert {"boss", "zhang", "liu", "far", "admin"} <= set(names) and total == len(names)
    zhang = next(a for a in accounts if a.username == "zhang")
    assert zhang.role_names == ["执法人员"] and zhang.agency_name == "测试镇人民政府"
    assert not zhang.totp_enrolled and zhang.last_sign_in is None
    authenticate(store, "zhang", PASSWORD)
    assert get_account(store, SYSTEM, zhang.id).last_sign_in == store.clock()
    with pytest.raises(PermissionDenied):
        list_accounts(store, people["officer"].actor)
    with pytest.raises(NotFound):
        get_account(store, people["admin"].actor, "no-such-user")


def test_a_grant_within_one_agency_reaches_only_its_accounts(store, people, monkeypatch):
    """No shipped role holds ``user.manage`` within one agency; a profile of GRANTS that
    gives one (the head here) reaches its own agency's accounts and is refused the rest."""
    monkeypatch.setitem(GRANTS, "head", {**GRANTS["head"], "user.manage": AGENCY})
    liu, far = people["head"], people["far"]
    accounts, total = list_accounts(store, liu.actor)
    assert {a.username for a in accounts} == {"boss", "zhang", "liu"} and total == 3
    with pytest.raises(PermissionDenied, match="其他机关的账户"):
        get_account(store, liu.actor, far.id)
    with pytest.raises(PermissionDenied, match="其他机关的账户"):
        disable_account(store, liu.actor, far.id, reason="越权")
    assert not find_user(store, "far").disabled
    disable_account(store, liu.actor, people["officer"].id, reason="离职")
