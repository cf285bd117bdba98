"""The rows of many cases read at once (``case_rows_many``: the summaries re-judged after a
holiday schedule's load, stale summaries caught up) are each case's own rows as
``rows_on`` reads them alone, in the same order; its stages and damage counts are each
case's; and a summary computed in a batch is the one computed alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from liuhen.services.cases.queries.case_rows import rows_on
from liuhen.services.cases.queries.case_rows_many import rows_of_cases, stages_and_damaged
from liuhen.services.cases.queries.loaded import load_cases
from liuhen.services.cases.summaries import categories, compute, compute_many
from liuhen.store import tables as t


def _all_cases(store: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        ids = conn.execute(select(t.cases.c.id)).scalars().all()
    return load_cases(store, ids)


def test_each_case_gets_the_rows_it_has_alone(shared_demo: Any) -> None:
    store = shared_demo.store
    cases = _all_cases(store)
    with store.read() as conn:
        many = rows_of_cases(conn, cases)
        alone = {case["id"]: rows_on(conn, case) for case in cases}
    assert len(many) == len(cases) >= 5
    assert many == alone
    every = [rows for rows in many.values()]  # the demo exercises what is dealt out
    assert sum(len(r.approvals) for r in every) and sum(len(r.files) for r in every)
    assert sum(len(r.officers) for r in every) and sum(len(r.devices) for r in every)
    assert sum(len(r.transitions) for r in every) and sum(len(r.case_files) for r in every)


def test_party_requests_are_dealt_to_their_cases(settings: Any, clock: Any, tmp_path: Any) -> None:
    """The authorization world: cases of two sections and agencies, a party's request."""
    from tests.web.authz_world import build_world

    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        build_world(store, tmp_path)
        cases = _all_cases(store)
        with store.read() as conn:
            many = rows_of_cases(conn, cases)
            assert many == {case["id"]: rows_on(conn, case) for case in cases}
        assert sum(len(r.access_requests) for r in many.values()) >= 1
    finally:
        store.close()


def test_stages_and_damage_are_each_cases_own(shared_demo: Any) -> None:
    store = shared_demo.store
    ids = [c["id"] for c in _all_cases(store)] + ["no-such-case"]
    actions = sorted({a for c in categories() for a in c.ledger_actions})
    tr, ev = t.case_transitions.c, t.ledger_events.c
    with store.read() as conn:
        found = stages_and_damaged(conn, ids, actions)
        for case_id in ids:
            newest = conn.execute(
                select(tr.stage).where(tr.case_id == case_id).order_by(tr.at.desc()).limit(1)
            ).scalar()
            damaged = conn.execute(
                select(func.count()).where(ev.case_id == case_id, ev.action.in_(actions))
            ).scalar()
            assert found[case_id] == (newest or "initiation", damaged), case_id


def test_a_summary_computed_in_a_batch_is_the_one_computed_alone(shared_demo: Any) -> None:
    store = shared_demo.store
    ids = [c["id"] for c in _all_cases(store)]
    now = store.clock()
    batch = compute_many(store, ids, now)
    assert sorted(batch) == sorted(ids)
    for case_id in ids:
        assert batch[case_id] == compute(store, case_id, now)
