"""What may exist once is created once: four processes opening a case with one number,
adding one username, registering one serial number or revoking one authorisation at once;
one succeeds, the others meet a conflict in Chinese, and the store verifies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from liuhen.ledger.events import Actor
from liuhen.services.admin.agency import create_agency
from liuhen.services.approvals.authorisations import grant_authorisation
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import ops
from tests.factories import ready_to_close
from tests.helpers import SYSTEM, add_people

ADMIN = Actor(id=None, label="管理员", roles=("admin",))


def count(store: Any, table: Any, *where: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def test_one_case_number_opened_four_times_at_once_is_one_case(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = create_agency(store, SYSTEM, name="并发测试局", profile_id="shanxi-township")
    officer = add_people(store, agency, {"zhang": ("张三", "officer")}, "Race-pass-2026!")
    number = "并发〔2026〕7号"
    results = racers.race(store, ops.open_case, officer["officer"].actor, agency, number)
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert all("请核对编号" in m for m in results.values("conflict")), results  # cases or register
    assert count(store, t.cases, t.cases.c.number == number) == 1
    assert verify(store, SYSTEM).ok


def test_one_username_added_four_times_at_once_is_one_user(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = create_agency(store, SYSTEM, name="并发测试局", profile_id="shanxi-township")
    results = racers.race(store, ops.add_user, ADMIN, agency, "li")
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert all("用户名" in m for m in results.values("conflict")), results
    assert count(store, t.users, t.users.c.username == "li") == 1
    assert verify(store, SYSTEM).ok


def test_one_serial_number_registered_four_times_at_once_is_one_device(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = create_agency(store, SYSTEM, name="并发测试局", profile_id="shanxi-township")
    results = racers.race(store, ops.register_device, ADMIN, agency, "DSJ-0001")
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert count(store, t.devices, t.devices.c.serial_no == "DSJ-0001") == 1
    assert verify(store, SYSTEM).ok


def test_one_authorisation_revoked_four_times_at_once_is_revoked_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = create_agency(store, SYSTEM, name="某县林业局", profile_id="shanxi-forestry")
    who = add_people(store, agency, {"chief": ("赵局长", "head")}, "Race-pass-2026!")
    deputy = add_people(store, agency, {"deputy": ("钱副局长", "head")}, "Race-pass-2026!")
    now = store.clock()
    grant = grant_authorisation(
        store, who["head"].actor, user_id=deputy["head"].id, position="deputy_head",
        scope="access_request", starts_at=now, ends_at=now + timedelta(days=30),
        reference="林局授〔2026〕1号",
    )  # fmt: skip
    results = racers.race(store, ops.revoke_authorisation, who["head"].actor, grant)
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert count(store, t.authorisations, t.authorisations.c.ends_id == grant) == 1
    assert verify(store, SYSTEM).ok


def test_one_case_closed_four_times_at_once_is_closed_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = create_agency(store, SYSTEM, name="并发测试局", profile_id="shanxi-township")
    officer = add_people(store, agency, {"zhang": ("张三", "officer")}, "Race-pass-2026!")
    case = ops.open_case(store, officer["officer"].actor, agency, "并发〔2026〕8号")
    ready_to_close(store, case, record=True)
    results = racers.race(store, ops.close_case, officer["officer"].actor, case)
    assert results.codes == {"ok": 1, "conflict": 3}, results
    closed = (t.case_transitions.c.case_id == case) & (t.case_transitions.c.stage == "closed")
    assert count(store, t.case_transitions, closed) == 1
    assert verify(store, SYSTEM).ok


def test_one_bundle_imported_four_times_at_once_is_one_case(store, racers) -> None:  # type: ignore[no-untyped-def]
    """``liuhen import`` of one bundle by four processes at once: one imports the case, the
    others end as a later import does ("已存在，未重复导入", ``created`` false), not with the
    name of the officer or case row they met (``certificate_no``, ``number``)."""
    bundle = "01-township-general-21.json"
    results = racers.race(store, ops.import_bundle, SYSTEM, bundle)
    assert results.codes == {"ok": 4}, results
    assert sorted(results.values()) == ["False", "False", "False", "True"], results
    assert count(store, t.cases) == 1
    assert count(store, t.agencies, t.agencies.c.name == "示范镇人民政府（演示）") == 1
    assert verify(store, SYSTEM).ok
