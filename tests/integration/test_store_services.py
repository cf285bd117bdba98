"""The unit of work, the insert-only guard, checkpoints outside the database, file ingest."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.errors import ForbiddenChange, InvalidInput
from liuhen.ledger.checkpoint import verify_checkpoint
from liuhen.ledger.note import claim_of, read_log_entry
from liuhen.services.admin.setup import initialise
from liuhen.services.cases.files import store_file
from liuhen.store import tables as t
from liuhen.store.store import Store


def _count(store: Store, table) -> int:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_database_refuses_update_and_delete_of_committed_records(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    for sql in (
        f"UPDATE records SET title = 'x' WHERE id = '{ids['record']}'",
        f"DELETE FROM records WHERE id = '{ids['record']}'",
        "DELETE FROM ledger_events",
    ):
        with store.engine.connect() as conn, pytest.raises(DBAPIError, match="insert-only"):
            conn.execute(text(sql))


def test_updating_an_insert_only_table_through_the_unit_of_work_is_refused(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    with pytest.raises(ForbiddenChange), store.transaction(SYSTEM) as tx:
        tx.update("records", ids["record"], {"title": "改"})


def test_rows_without_an_event_roll_back(store):
    before = _count(store, t.agencies)
    with (
        pytest.raises(RuntimeError, match="without a ledger event"),
        store.transaction(SYSTEM) as tx,
    ):
        tx.insert(
            "agencies",
            {"id": "a1", "name": "x", "profile_id": "p", "region": "", "created_at": store.clock()},
        )
    assert _count(store, t.agencies) == before


def test_every_commit_signs_a_checkpoint_in_the_database_and_outside_it(
    tmp_path, clock, make_settings
):
    witness = tmp_path / "witness"
    settings = make_settings(tmp_path / "d", env={"LIUHEN_WITNESS_DIR": str(witness)})
    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        make_case_with_files(store, tmp_path)
        with store.read() as conn:
            sizes = [
                r[0]
                for r in conn.execute(
                    select(t.checkpoints.c.tree_size).order_by(t.checkpoints.c.tree_size)
                )
            ]
        assert sizes[-1] == store.event_count()
        for path in (settings.checkpoint_log_path, witness / "checkpoints.jsonl"):
            lines = path.read_text("utf-8").splitlines()
            entries = [read_log_entry(json.loads(line)) for line in lines]  # signed notes
            assert [cp.tree_size for cp, _sig, _claim in entries] == sizes
            cp, signature, claim = entries[-1]
            assert claim == claim_of(cp.origin, store.key.public_key())
            assert verify_checkpoint(store.key.public_key(), cp, signature)
    finally:
        store.close()


def test_identical_content_is_stored_once(store, tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"same bytes" * 1000)
    b.write_bytes(b"same bytes" * 1000)
    first = store_file(store, SYSTEM, a)
    events = store.event_count()
    second = store_file(store, SYSTEM, b)
    assert first.sha256 == second.sha256 and first.created and not second.created
    assert _count(store, t.blobs) == 1
    assert store.event_count() == events


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_input_is_refused_and_changes_nothing(store, tmp_path, kind):
    path = tmp_path / "nothing.mp4"
    if kind == "directory":
        path.mkdir()
    events = store.event_count()
    with pytest.raises(InvalidInput) as caught:
        store_file(store, SYSTEM, path)
    assert str(path) in caught.value.message
    assert store.event_count() == events and _count(store, t.blobs) == 0


def test_a_case_number_is_used_once(store, clock):
    from liuhen.errors import Conflict
    from liuhen.services.admin.agency import create_agency
    from liuhen.services.cases.cases import open_case

    agency = create_agency(store, SYSTEM, name="某镇", profile_id="township-legal-office")
    args = dict(
        agency_id=agency,
        number="某镇立〔2026〕1号",
        title="案",
        procedure="general",
        party={"kind": "person", "name": "甲"},
        opened_at=clock.now,
    )
    open_case(store, SYSTEM, **args)
    events = store.event_count()
    with pytest.raises(Conflict, match="已被使用"):
        open_case(store, SYSTEM, **args)
    assert store.event_count() == events
