"""One signature per line: two submissions of the party's line of one document at once
(the phone sent twice on a weak connection, or two phones) make one signed version and one
hand_signatures row; the other meets a conflict. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import func, select

from liuhen.demo.documents import sample_document
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.documents import save_document
from liuhen.store import tables as t
from tests.concurrency import signing_ops
from tests.factories import make_agency
from tests.helpers import SYSTEM
from tests.signature_png import signature_png


def _unsigned(store: Any, clock: Any) -> tuple[str, str]:
    filled = sample_document("inspection_record")
    ids = make_agency(
        store,
        name=filled.agency or "示范镇人民政府",
        profile_id="township-legal-office",
        officers={o.name: o.certificate_number for o in filled.officers},
    )
    case = open_case(
        store,
        SYSTEM,
        agency_id=ids["agency"],
        number="示镇综执立〔2026〕40号",
        title="李建华占道经营案",
        procedure="general",
        party={"kind": "person", "name": "李建华"},
        opened_at=clock.now,
    )
    unsigned = replace(filled, signatures=tuple(s for s in filled.signatures if s.role != "party"))
    saved = save_document(
        store, SYSTEM, case_id=case, act_id=None, filled=unsigned, signing_on_screen=True
    )
    return case, saved.record_id


def test_two_submissions_of_one_signature_line_make_one_signed_version(
    store, racers, clock
) -> None:  # type: ignore[no-untyped-def]
    case, record = _unsigned(store, clock)
    each = [(SYSTEM, case, record, signature_png(strokes=n)) for n in (2, 3)]
    results = racers.race_each(store, signing_ops.sign, each)
    assert results.codes == {"ok": 1, "conflict": 1}, results
    with store.read() as conn:
        rows = conn.execute(select(func.count()).select_from(t.hand_signatures)).scalar()
        versions = conn.execute(
            select(func.count()).where(t.records.c.supersedes_id == record)
        ).scalar()
    assert rows == 1 and versions == 1
    assert verify(store, SYSTEM).ok
