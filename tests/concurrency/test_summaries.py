"""Cached rows are upserts: four processes listing the cases at once, each finding the same
summaries missing, store each summary once, count each case once on the dashboard, and
none of them fails (``GET /cases`` answered 500 with ``UniqueViolation pk_case_summaries``
on PostgreSQL). SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select, update

from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import ops
from tests.factories import make_agency, make_case
from tests.helpers import SYSTEM


def test_four_processes_listing_new_cases_at_once_store_each_summary_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(store)["agency"]
    for n in range(1, 6):
        make_case(store, agency, number=f"并发〔2026〕{n}号")
    results = racers.race(store, ops.list_cases, SYSTEM)
    assert results.codes == {"ok": 4}, results
    with store.read() as conn:
        summaries = conn.execute(select(func.count()).select_from(t.case_summaries)).scalar()
        counted = conn.execute(
            select(func.sum(t.dashboard_counts.c.cases)).where(
                t.dashboard_counts.c.officer_id == ""
            )
        ).scalar()
    assert summaries == 5
    assert counted == 5
    assert verify(store, SYSTEM).ok


def test_an_index_from_another_zone_is_rebuilt_once_by_four_at_once(store, racers) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(store)["agency"]
    for n in range(1, 6):
        make_case(store, agency, number=f"并发〔2026〕{n}号")
    ops.list_cases(store, SYSTEM)
    with store.read() as conn:
        before = conn.execute(select(func.count()).select_from(t.footage_due)).scalar()
    ds = t.derived_settings
    with store.engine.begin() as conn:  # the index was cut in another zone (settings changed)
        conn.execute(
            update(ds).where(ds.c.name == "dashboard_timezone").values(value="Europe/Berlin")
        )
    results = racers.race(store, ops.list_cases, SYSTEM)
    assert results.codes == {"ok": 4}, results
    with store.read() as conn:
        zone = conn.execute(select(ds.c.value).where(ds.c.name == "dashboard_timezone")).scalar()
        due = conn.execute(select(func.count()).select_from(t.footage_due)).scalar()
        counted = conn.execute(
            select(func.sum(t.dashboard_counts.c.cases)).where(
                t.dashboard_counts.c.officer_id == ""
            )
        ).scalar()
    assert zone == store.settings.timezone
    assert counted == 5 and due == before  # each case counted once, its footage due once
    assert verify(store, SYSTEM).ok
