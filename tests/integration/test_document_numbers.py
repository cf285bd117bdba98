"""文号 from the agency's 字号: a numbered document saved without a number gets the next one
of its kind and year; one whose save then fails keeps its number, withdrawn with the
reason (the register shows it); a typed number is registered with its document, in the
same transaction (a clash saves nothing)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from tests.factories import make_agency
from tests.helpers import SYSTEM

from liuhen.demo.documents import sample_document
from liuhen.errors import InvalidInput, NotFound
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.documents import save_document
from liuhen.services.cases.numbering_view import numbering_page
from liuhen.services.cases.queries.documents import record_files
from liuhen.store import tables as t

KIND = "rectification_order"


@pytest.fixture
def case(store, clock):  # type: ignore[no-untyped-def]
    filled = sample_document(KIND)
    agency = make_agency(
        store,
        name="示范镇人民政府",
        profile_id="township-legal-office",
        officers={o.name: o.certificate_number for o in filled.officers},
    )["agency"]
    return open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number="",
        title="李建华占道经营案",
        procedure="general",
        party={"kind": "person", "name": "李建华"},
        opened_at=clock.now,
    )


def head(store, case_id: str):  # type: ignore[no-untyped-def]
    """The head of the case's agency, as an actor."""
    with store.read() as conn:
        agency = conn.execute(select(t.cases.c.agency_id).where(t.cases.c.id == case_id)).scalar()
    return replace(SYSTEM, id="head-1", roles=("head",), agency_id=agency)


def records(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return len(conn.execute(select(t.records.c.id)).all())


def numbers(store, kind: str = KIND) -> list[tuple[int | None, str, str]]:  # type: ignore[no-untyped-def]
    i = t.issued_numbers.c
    with store.read() as conn:
        rows = conn.execute(
            select(i.serial, i.number, i.subject_id).where(i.kind == kind).order_by(i.serial)
        ).all()
    return [tuple(r) for r in rows]


def test_numbered_documents_get_the_next_number_and_a_failed_save_explains_its_own(
    store, case
) -> None:  # type: ignore[no-untyped-def]
    blank = replace(sample_document(KIND), number="")
    first = save_document(store, SYSTEM, case_id=case, act_id=None, filled=blank)
    second = save_document(store, SYSTEM, case_id=case, act_id=None, filled=blank)
    assert numbers(store) == [
        (1, "示镇责改字〔2026〕1号", first.record_id),
        (2, "示镇责改字〔2026〕2号", second.record_id),
    ]
    with store.read() as conn:
        details = conn.execute(
            select(t.records.c.details).where(t.records.c.id == second.record_id)
        ).scalar_one()
    assert details["number"] == "示镇责改字〔2026〕2号"
    assert {f["media_type"] for f in record_files(store, second.record_id)} >= {"application/pdf"}
    with pytest.raises(NotFound):  # an act of no case: refused after its number was issued
        save_document(store, SYSTEM, case_id=case, act_id="no-such-act", filled=blank)
    v = t.number_voids.c
    with store.read() as conn:
        voids = conn.execute(select(v.serial, v.reason).where(v.kind == KIND)).all()
    assert [(s, r.startswith("文书未保存：")) for s, r in voids] == [(3, True)]
    fourth = save_document(store, SYSTEM, case_id=case, act_id=None, filled=blank)
    page = numbering_page(store, head(store, case), 2026)
    lines = next(k for k in page.kinds if k.kind == KIND).lines
    assert [(x.serial, x.state, x.href) for x in lines] == [
        (1, "issued", f"/cases/{case}#record-{first.record_id}"),
        (2, "issued", f"/cases/{case}#record-{second.record_id}"),
        (3, "void", ""),
        (4, "issued", f"/cases/{case}#record-{fourth.record_id}"),
    ]
    assert numbers(store)[-1] == (4, "示镇责改字〔2026〕4号", fourth.record_id)
    typed = save_document(store, SYSTEM, case_id=case, act_id=None, filled=sample_document(KIND))
    typed_number = sample_document(KIND).number  # another 字号's: registered, no serial
    assert (None, typed_number, typed.record_id) in numbers(store)


def test_a_typed_number_is_registered_with_its_document_and_a_clash_saves_nothing(
    store, case
) -> None:  # type: ignore[no-untyped-def]
    from liuhen.errors import Conflict

    typed = replace(sample_document(KIND), number="示镇责改字（2026）7号")
    with pytest.raises(NotFound):  # refused after the number was typed: nothing registered
        save_document(store, SYSTEM, case_id=case, act_id="no-such-act", filled=typed)
    with pytest.raises(InvalidInput):  # a field missing: the same
        save_document(store, SYSTEM, case_id=case, act_id=None, filled=replace(typed, values={}))
    assert numbers(store) == [] and records(store) == 0  # the typed number is still free
    saved = save_document(store, SYSTEM, case_id=case, act_id=None, filled=typed)
    assert numbers(store) == [(7, "示镇责改字（2026）7号", saved.record_id)]
    before = records(store)
    with pytest.raises(Conflict, match="该编号的序号本年度已被使用"):
        save_document(
            store,
            SYSTEM,
            case_id=case,
            act_id=None,
            filled=replace(typed, number="示镇责改字〔2026〕7号"),
        )
    assert records(store) == before  # no record of it (its rendered files: blobs, for gc)
    blank = replace(sample_document(KIND), number="")
    after = save_document(store, SYSTEM, case_id=case, act_id=None, filled=blank)
    assert numbers(store)[-1] == (8, "示镇责改字〔2026〕8号", after.record_id)
