"""The dashboard's counts are kept as summaries are written and deadlines pass: after imports,
a change to a case and forty days of the clock they equal counts rebuilt from scratch."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from tests.helpers import SYSTEM
from tests.integration.test_summaries import waiting_case_file_bundle

from liuhen.demo.data import demo_bundles
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.services.cases.records import record_act
from liuhen.services.cases.summaries import ensure_current
from liuhen.store import summary_index
from liuhen.store import tables as t

TZ = ZoneInfo("Asia/Shanghai")


def kept(store):  # type: ignore[no-untyped-def]
    with store.read() as conn:
        counts = {
            tuple(r[:6]): tuple(r[6:])
            for r in conn.execute(select(t.dashboard_counts))
            if any(r[6:])
        }
        cats = {tuple(r[:7]): r[7] for r in conn.execute(select(t.dashboard_categories)) if r[7]}
    return counts, cats


def test_kept_counts_equal_counts_rebuilt_from_the_summaries(store, clock):
    for bundle in [*demo_bundles(), waiting_case_file_bundle()]:
        import_bundle(store, SYSTEM, bundle)
    ensure_current(store)
    case_id = import_bundle(
        store,
        SYSTEM,
        {
            **waiting_case_file_bundle(),
            "case": {
                **waiting_case_file_bundle()["case"],
                "id": "示镇综执罚〔2026〕98号",
                "number": "示镇综执罚〔2026〕98号",
            },
        },
    ).case_id
    ensure_current(store)
    record_act(
        store,
        SYSTEM,
        case_id=case_id,
        kind="inspection",
        started_at=datetime(2026, 11, 19, 9, 0, tzinfo=TZ),
        ended_at=datetime(2026, 11, 19, 10, 0, tzinfo=TZ),
        place="东街",
        officer_ids=[],
    )
    clock.advance(days=40)  # case files fall due: shares move with no write at all
    ensure_current(store)
    incremental = kept(store)
    assert incremental[0]
    with store.engine.begin() as conn:
        summary_index.rebuild(
            conn, tz=store.settings.tz, tz_name=store.settings.timezone, now=clock()
        )
    assert kept(store) == incremental
