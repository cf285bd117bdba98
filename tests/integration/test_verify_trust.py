"""``liuhen verify`` is read-only and never crashes; the key is pinned; losing the copies kept
outside the database is reported (issue 13). On SQLite and PostgreSQL, through the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select, text
from tests.helpers import as_intruder, make_case_with_files, run_cli

from liuhen.ledger.events import Actor, event_bytes
from liuhen.ledger.merkle import MerkleTree, leaf_hash
from liuhen.services.archiving.integrity import record_verification, verify
from liuhen.store import tables as t
from liuhen.store.store import Store

SYSTEM = Actor.system("校验")


def _env(settings, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {"LIUHEN_DATA_DIR": str(settings.data_dir), "LIUHEN_DATABASE_URL": settings.database_url}
    return {**env, **extra}


def _verify(settings, monkeypatch, *args: str, **env: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = run_cli(["verify", "--json", *args], _env(settings, **env), monkeypatch)
    assert "Traceback" not in result.err, result.err
    return result.code, result.json()


def _kinds(report: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in report["problems"]:
        found.setdefault(p["kind"], []).append(p["object"])
    return found


def _counts(store: Store) -> tuple[int, int, int]:
    with store.read() as conn:
        checkpoints = conn.execute(text("SELECT count(*) FROM checkpoints")).scalar_one()
        runs = conn.execute(text("SELECT count(*) FROM verification_runs")).scalar_one()
    return store.event_count(), int(checkpoints), int(runs)


@pytest.fixture
def populated(store: Store, tmp_path: Path) -> dict[str, str]:
    return make_case_with_files(store, tmp_path)


def test_verify_writes_nothing_and_only_an_intact_run_is_recorded(store, populated):
    before = _counts(store)
    log = store.checkpoint_log.path.read_bytes()
    report = verify(store, SYSTEM)
    assert report.ok and _counts(store) == before
    assert store.checkpoint_log.path.read_bytes() == log
    seq = record_verification(store, SYSTEM, report)
    assert seq == before[0] and store.event_count() == before[0] + 1
    assert verify(store, SYSTEM).ok  # the record changed nothing that was verified

    as_intruder(
        store,
        f"UPDATE records SET title = 'x' WHERE id = '{populated['record']}'",
        tables=("records",),
    )
    damaged = _counts(store)
    failed = verify(store, SYSTEM)
    assert not failed.ok
    assert record_verification(store, SYSTEM, failed) is None
    assert _counts(store) == damaged and damaged[2] == 0  # verification_runs: no longer written


def test_cli_read_only_records_nothing_and_a_clean_run_is_recorded(store, populated, monkeypatch):
    events = store.event_count()
    code, report = _verify(store.settings, monkeypatch, "--read-only")
    assert code == 0 and report["recorded_seq"] is None and store.event_count() == events
    code, report = _verify(store.settings, monkeypatch)
    assert code == 0 and report["recorded_seq"] == events


def test_tail_cut_with_head_adjusted_and_a_deleted_head_are_findings(store, populated, monkeypatch):
    last = store.event_count() - 1
    as_intruder(
        store,
        f"DELETE FROM ledger_events WHERE seq >= {last - 2}",
        f"UPDATE ledger_head SET next_seq = {last - 2}, chain_hash = "
        f"(SELECT chain_hash FROM ledger_events WHERE seq = {last - 3})",
        tables=("ledger_events",),
    )
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1 and report["recorded_seq"] is None
    rolled = [p for p in report["problems"] if p["kind"] == "ledger_rolled_back"]
    assert rolled and rolled[0]["related"] == [f"ledger_events#{last - 2}–#{last}"]
    as_intruder(store, "DELETE FROM ledger_head")
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1 and "ledger_head/1" in _kinds(report)["ledger_head_missing"]


def test_corrupted_leaf_and_head_hashes_are_named_and_never_signed_over(
    store, populated, monkeypatch
):
    as_intruder(
        store,
        "UPDATE ledger_events SET leaf_hash = '" + "ab" * 32 + "' WHERE seq = 3",
        tables=("ledger_events",),
    )
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1 and _kinds(report)["ledger_leaf_altered"] == ["ledger_events#3.leaf_hash"]
    checkpoints = _counts(store)[1]
    fresh = Store.open(store.settings)  # a new process: the tree comes from the tiles
    try:
        with fresh.transaction(SYSTEM) as tx:
            tx.record("case.viewed", subject_type="store", subject_id="all")
        signed = fresh.latest_checkpoint()
    finally:
        fresh.close()
    # The tiles hold the leaf as written, not the altered cell: the new checkpoint is
    # signed over the true tree (the events' recomputed leaves), never over the damage,
    # and verify still names the cell.
    assert _counts(store)[1] == checkpoints + 1
    with store.read() as conn:
        events = conn.execute(select(t.ledger_events).order_by(t.ledger_events.c.seq))
        true_root = MerkleTree([leaf_hash(event_bytes(e)) for e in events.mappings()]).root()
    assert signed is not None and signed["root_hash"] == true_root.hex()
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1 and _kinds(report)["ledger_leaf_altered"] == ["ledger_events#3.leaf_hash"]
    assert "ledger_unsigned" not in _kinds(report)

    as_intruder(store, "UPDATE ledger_head SET chain_hash = '" + "cd" * 32 + "'")
    code, report = _verify(store.settings, monkeypatch)
    assert "ledger_head/1.chain_hash" in _kinds(report)["ledger_head_altered"]


def test_malformed_cells_are_findings_naming_table_row_and_column(store, populated, monkeypatch):
    record, case = populated["record"], populated["case"]
    as_intruder(
        store,
        f"UPDATE records SET details = '{{\"篡改\"\\:1.5}}' WHERE id = '{record}'",
        f"UPDATE cases SET party = 'not json' WHERE id = '{case}'",
        f"UPDATE blobs SET sm3 = 'zz' WHERE sha256 = '{populated['blob']}'",
        "UPDATE ledger_events SET payload = '{' WHERE seq = 2",
        tables=("records", "cases", "blobs", "ledger_events"),
    )
    if store.engine.dialect.name == "postgresql":
        as_intruder(
            store,
            "ALTER TABLE acts ALTER COLUMN place DROP NOT NULL",
            "UPDATE acts SET place = NULL",
            tables=("acts",),
        )
        null = f"acts/{populated['act']}.place"
    else:
        as_intruder(
            store,
            f"UPDATE acts SET created_at = 'not a time' WHERE id = '{populated['act']}'",
            tables=("acts",),
        )
        null = f"acts/{populated['act']}.created_at"
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    cells = set(_kinds(report)["cell_malformed"])
    assert {f"records/{record}.details", f"cases/{case}.party", null} <= cells
    assert f"blobs/{populated['blob']}.sm3" in cells
    assert _kinds(report)["ledger_cell_malformed"] == ["ledger_events#2.payload"]


def test_flipped_blob_names_the_records_that_hold_it(store, populated, monkeypatch):
    sha = populated["blob"]
    path = Path(store.settings.data_dir) / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha
    os.chmod(path, 0o644)
    path.write_bytes(b"X" + path.read_bytes()[1:])
    code, report = _verify(store.settings, monkeypatch, "--blobs")
    problem = next(p for p in report["problems"] if p["kind"] == "blob_altered")
    assert problem["object"] == f"blob {sha}"
    assert problem["related"] == [f"records/{populated['record']}"]
    assert populated["record"] in problem["message"]


def test_edited_summary_is_named_with_case_and_column(store, populated, monkeypatch):
    from liuhen.services.cases.summaries import ensure_current

    ensure_current(store)
    case = populated["case"]
    as_intruder(
        store, f"UPDATE case_summaries SET violations = violations + 1 WHERE case_id = '{case}'"
    )
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1 and f"case_summaries/{case}.violations" in _kinds(report)["cache_altered"]


def test_officers_of_acts_recorded_after_the_summary_are_no_finding(store, populated, clock):
    """A summary computed before an act is behind its case: its officers index lacks the act's
    new officer until a list computes it again (not an alteration); an officer the acts do not
    name is one."""
    from datetime import timedelta

    from liuhen.services.admin.agency import add_officer
    from liuhen.services.cases.records import record_act
    from liuhen.services.cases.summaries import ensure_current

    ensure_current(store)
    case = populated["case"]
    third = add_officer(
        store, SYSTEM, agency_id=populated["agency"], name="王五", certificate_no="C-3"
    )
    start = clock() - timedelta(hours=1)
    record_act(
        store,
        SYSTEM,
        case_id=case,
        kind="inspection",
        started_at=start,
        ended_at=start + timedelta(minutes=20),
        place="老街1号",
        officer_ids=[populated["o1"], third],
    )
    assert verify(store, SYSTEM).ok
    as_intruder(
        store,
        f"INSERT INTO summary_officers (case_id, officer_id, number) VALUES ('{case}', 'outsider', '')",
    )
    report = verify(store, SYSTEM)
    assert f"summary_officers/{case}" in [p.object for p in report.problems]
