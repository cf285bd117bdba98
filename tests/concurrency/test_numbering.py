"""Case numbers from one counter: four processes opening cases in the same agency at once
get four distinct consecutive numbers of the agency's 字号; four typing the same number
(the head allows typing) make one case, the others meet one message. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.numbering import set_style
from liuhen.store import tables as t
from tests.concurrency import numbering_ops
from tests.factories import make_agency
from tests.helpers import SYSTEM


def serials(store, agency_id: str) -> list[int]:  # type: ignore[no-untyped-def]
    i = t.issued_numbers.c
    with store.read() as conn:
        rows = conn.execute(
            select(i.serial).where(i.agency_id == agency_id, i.kind == "case").order_by(i.serial)
        ).all()
    return [s for (s,) in rows]


def test_four_cases_opened_at_once_get_four_consecutive_numbers(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(store, name="示范镇人民政府")["agency"]
    other = make_agency(store, name="邻县林业局")["agency"]
    numbering_ops.open_numbered(store, SYSTEM, other, "邻县之案")  # another agency's counter
    each = [(SYSTEM, agency, f"某店占道经营案{i}") for i in range(4)]
    race = racers.race_each(store, numbering_ops.open_numbered, each)
    assert race.codes == {"ok": 4}, race
    numbers = sorted(race.values())
    assert numbers == [f"'示镇立字〔2026〕{n}号'" for n in (1, 2, 3, 4)], numbers
    assert serials(store, agency) == [1, 2, 3, 4]
    again = racers.race_each(store, numbering_ops.open_numbered, each)
    assert sorted(again.values()) == [f"'示镇立字〔2026〕{n}号'" for n in (5, 6, 7, 8)]
    assert verify(store, SYSTEM).ok


def test_four_typing_the_same_number_at_once_make_one_case(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(store, name="示范镇人民政府")["agency"]
    from dataclasses import replace

    head = replace(SYSTEM, roles=("head",), agency_id=agency, id="head-1")
    set_style(store, head, kind="case", word="示镇综执罚", di=False, manual=True)
    each = [(SYSTEM, agency, f"案{i}", "示镇综执罚〔2026〕21号") for i in range(4)]
    race = racers.race_each(store, numbering_ops.open_numbered, each)
    assert race.codes == {"ok": 1, "conflict": 3}, race
    assert all("已被使用" in m for m in race.values("conflict")), race
    assert serials(store, agency) == [21]
    after = numbering_ops.open_numbered(store, SYSTEM, agency, "下一案")
    assert after == "示镇综执罚〔2026〕22号"  # the counter moved past the typed serial


def test_four_documents_saved_at_once_get_four_consecutive_numbers(store, racers) -> None:  # type: ignore[no-untyped-def]
    from liuhen.demo.documents import sample_document
    from liuhen.services.cases.queries.cases import case_id_of

    kind = "rectification_order"
    officers = {o.name: o.certificate_number for o in sample_document(kind).officers}
    agency = make_agency(store, name="示范镇人民政府", officers=officers)["agency"]
    number = numbering_ops.open_numbered(store, SYSTEM, agency, "某店占道经营案")
    case_id = case_id_of(store, number)
    race = racers.race(store, numbering_ops.save_numbered, SYSTEM, case_id, kind)
    assert race.codes == {"ok": 4}, race
    assert sorted(race.values()) == [f"'示镇责改字〔2026〕{n}号'" for n in (1, 2, 3, 4)]
    assert verify(store, SYSTEM).ok


def test_one_number_voided_four_times_at_once_is_voided_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    """作废登记 of one serial by four heads at once: one entry, the others told it is there."""
    from dataclasses import replace

    agency = make_agency(store, name="示范镇人民政府")["agency"]
    numbering_ops.open_numbered(store, SYSTEM, agency, "某店占道经营案")  # serial 1 issued
    head = replace(SYSTEM, roles=("head",), agency_id=agency, id="head-1")
    race = racers.race(store, numbering_ops.void, head, "case", 2026, 1, "立案后发现重复登记")
    assert race.codes == {"ok": 1, "conflict": 3}, race
    assert all("已登记作废" in m for m in race.values("conflict")), race
    v = t.number_voids.c
    with store.read() as conn:
        voids = conn.execute(select(v.serial).where(v.agency_id == agency)).all()
    assert voids == [(1,)]
    assert verify(store, SYSTEM).ok
