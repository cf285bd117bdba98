"""Case summaries: the cache agrees with the engine, goes stale only on changes, and
time-dependent findings (deadlines passing) are right at read time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from tests import samples
from tests.helpers import SYSTEM

from liuhen.demo.data import demo_bundles, township
from liuhen.rules import case_to_bundle
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.services.cases.bundles import case_findings
from liuhen.services.cases.cases import list_cases
from liuhen.services.cases.records import record_act
from liuhen.services.cases.summaries import categories, state_at, summaries
from liuhen.services.cases.view import case_view
from liuhen.store import tables as t

TZ = ZoneInfo("Asia/Shanghai")


def waiting_case_file_bundle() -> dict:
    """A general case ended 2026-11-18 with no case file yet: due 30 days later (002§31)."""
    case = samples.make_case("general", ended_at=datetime(2026, 11, 18, 10, 0, tzinfo=TZ))
    case = samples.change(case, case_file=None)
    bundle = case_to_bundle(case)
    bundle["agency"] = township()
    bundle["case"]["number"] = bundle["case"]["id"] = "示镇综执罚〔2026〕99号"
    return bundle


def engine_counts(store, case_id):  # type: ignore[no-untyped-def]
    findings = case_findings(store, case_id, store.clock())
    violations = sum(1 for f in findings if f.status == "violation")
    return violations, len(findings) - violations


def cached_rows(store):  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return {
            r.case_id: (r.source_seq, r.computed_at) for r in conn.execute(select(t.case_summaries))
        }


def test_list_counts_match_the_engine_now_and_after_deadlines_pass(store, clock):
    for bundle in [*demo_bundles(), waiting_case_file_bundle()]:
        import_bundle(store, SYSTEM, bundle)
    listed = {c.id: (c.violations, c.pending) for c in list_cases(store, SYSTEM)}
    assert len(listed) == 11
    assert listed == {case_id: engine_counts(store, case_id) for case_id in listed}
    before = cached_rows(store)
    assert set(before) == set(listed)

    clock.advance(days=40)  # the case file of 〔2026〕99号 is now overdue
    listed_later = {c.id: (c.violations, c.pending) for c in list_cases(store, SYSTEM)}
    assert listed_later == {case_id: engine_counts(store, case_id) for case_id in listed}
    assert listed_later != listed
    ahead = {  # a time recorded ahead of the first read (a case file formed later): re-read
        case_id for case_id, summary in summaries(store).items() if summary["recompute_at"]
    }
    assert ahead == set()  # ... once that time passed, and never again
    again = cached_rows(store)
    recomputed = {c for c in before if again[c] != before[c]}
    assert len(recomputed) == 1  # 示林罚〔2026〕12号: its case file was formed on 11-23
    assert {c: again[c] for c in before if c not in recomputed} == {
        c: before[c] for c in before if c not in recomputed
    }  # nothing else recomputed: due dates decide at read time


def test_overdue_items_and_case_file_state_follow_the_clock(store, clock):
    case_id = import_bundle(store, SYSTEM, waiting_case_file_bundle()).case_id
    summary = summaries(store)[case_id]
    now = state_at(summary, clock())
    assert now.case_file == "waiting" and not now.overdue
    assert [f["type"] for f in now.due] == ["case_file_deadline"]
    assert now.due[0]["due"].startswith("2026-12-18")
    moment = datetime(2026, 12, 19, 0, 0, tzinfo=TZ)
    later = state_at(summary, moment)
    assert later.case_file == "late"
    assert [f["type"] for f in later.overdue] == ["case_file_deadline"]
    (engine,) = [
        f for f in case_findings(store, case_id, moment) if f.rule_id == "case-file-deadline"
    ]
    assert later.overdue[0]["message"] == engine.message and engine.status == "violation"
    assert later.categories.get("not_stored") == 1


def test_changes_refresh_the_summary_and_views_do_not(store, clock):
    case_id = import_bundle(store, SYSTEM, waiting_case_file_bundle()).case_id
    first = summaries(store)[case_id]
    seq, computed = cached_rows(store)[case_id]
    clock.advance(minutes=5)
    case_view(store, SYSTEM, case_id)  # a view is on the ledger but changes nothing
    summaries(store)
    assert cached_rows(store)[case_id] == (seq, computed)

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
    second = summaries(store)[case_id]
    new_seq, new_computed = cached_rows(store)[case_id]
    assert new_seq > seq and new_computed > computed
    assert len(second["av_acts"]["needed"]) == len(first["av_acts"]["needed"]) + 1
    assert state_at(second, clock()).av_needed > state_at(second, clock()).av_have


def test_categories_are_data_with_citations():
    cats = {c.id: c for c in categories()}
    assert set(cats) == {
        "not_recorded",
        "devices_not_maintained",
        "not_stored",
        "altered",
        "disclosed",
        "other",
    }
    for c in cats.values():
        assert c.citations and c.name
    assert "av_upload_deadline" in cats["not_stored"].rule_types
    assert "access_approval" in cats["disclosed"].rule_types
    assert "blob.damaged" in cats["altered"].ledger_actions
    every = [rt for c in cats.values() for rt in c.rule_types]
    assert len(every) == len(set(every))  # one category per rule type


def test_refresh_stores_a_fresh_summary_eagerly(store, clock):
    from liuhen.services.cases.summaries import refresh

    case_id = import_bundle(store, SYSTEM, waiting_case_file_bundle()).case_id
    assert case_id not in cached_rows(store)
    refresh(store, [case_id])
    seq, computed = cached_rows(store)[case_id]
    assert seq > 0 and computed == clock()
    assert summaries(store)[case_id]["number"] == "示镇综执罚〔2026〕99号"
    assert cached_rows(store)[case_id] == (seq, computed)  # fresh: not rebuilt on read


def test_a_damaged_file_counts_as_records_altered(sqlite_settings, clock, tmp_path):
    """The fixity run's ``blob.damaged`` event on the case makes its summary stale and counts
    in the "altered" category (000§21(四), 002§36(三), 004§39(三))."""
    from pathlib import Path

    from tests.conftest import ADMIN_PASSWORD
    from tests.helpers import make_case_with_files

    from liuhen.services.admin.setup import initialise
    from liuhen.services.archiving.fixity import run_fixity
    from liuhen.store.store import Store

    initialise(sqlite_settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(sqlite_settings, clock=clock)
    made = make_case_with_files(store, tmp_path)
    case_id = made["case"]
    assert state_at(summaries(store)[case_id], clock()).categories.get("altered") is None
    sha = made["blob"]
    path = Path(store.settings.data_dir) / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha
    path.chmod(0o644)
    path.write_bytes(b"X" + path.read_bytes()[1:])
    assert not run_fixity(store, SYSTEM, rate_mb=0).ok
    assert state_at(summaries(store)[case_id], clock()).categories["altered"] == 1
    store.close()


def test_a_time_entered_ahead_of_now_is_read_again_once_it_passes(store, clock):
    """A case closed with a time later today (entered ahead): until then the engine sees
    no case file due; once that time passes the list must show it, with nothing changed."""
    from datetime import timedelta

    bundle = waiting_case_file_bundle()
    ended = clock().astimezone(TZ) + timedelta(hours=3)
    bundle["case"]["ended_at"] = ended.isoformat()
    case_id = import_bundle(store, SYSTEM, bundle).case_id
    summary = summaries(store)[case_id]
    assert summary["recompute_at"] == ended.isoformat()
    assert not any(f["type"] == "case_file_deadline" for f in summary["findings"])
    clock.advance(hours=4)
    listed = {c.id: (c.violations, c.pending) for c in list_cases(store, SYSTEM)}
    assert listed[case_id] == engine_counts(store, case_id)
    later = summaries(store)[case_id]
    assert any(f["type"] == "case_file_deadline" for f in later["findings"])
    assert later["recompute_at"] is None


def test_a_sweep_is_needed_for_each_of_its_three_reasons_and_only_then(store, clock):
    """``sweep_needed`` looks once per reason by index (no scan of every summary)."""
    from sqlalchemy import update

    from liuhen.services.cases.summaries import ensure_current
    from liuhen.store.summary_index import SLACK, sweep_needed

    import_bundle(store, SYSTEM, waiting_case_file_bundle())
    ensure_current(store)
    now = clock()
    cs = t.case_summaries
    reasons = {
        "never shared": {"contrib_at": None},
        "share expired": {"c_until": now},
        "shared ahead of now": {"contrib_at": now + SLACK * 2},
    }
    with store.engine.connect() as conn:
        assert not sweep_needed(conn, now)
        conn.rollback()
        for name, change in reasons.items():
            conn.execute(update(cs).values(**change))
            assert sweep_needed(conn, now), name
            conn.rollback()
        assert not sweep_needed(conn, now)
