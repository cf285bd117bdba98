"""``liuhen verify --since-last`` continues from the last recorded run (``integrity.continued``):
it reads only the events written since, binds the older tree by the frontier read from the
stored tiles to the root that run recorded, checks the new events, the checkpoints signed
since, the tiles that hold new leaves and the rows and files the new events wrote. Anything
it finds, or a record it cannot continue from, and the full run runs instead, so every
finding is named as the full run names it. Here: on both engines, with enough events that
the frontier spans a full tile and tiles of two levels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.helpers import as_intruder, make_case_with_files, run_cli

from liuhen.ledger.events import Actor
from liuhen.services.admin.rotation import rotate_key
from liuhen.services.archiving.integrity import record_verification, verify
from liuhen.services.cases.files import store_file
from liuhen.store.store import Store
from liuhen.store.unit import Appended

SYSTEM = Actor.system("校验")


def _views(store: Store, count: int, start: int = 0) -> None:
    """``count`` views in one transaction (one checkpoint over them all)."""
    with store.transaction(SYSTEM) as tx:
        tx.record_many(
            [
                Appended("case.viewed", "case", f"c{n}", payload={"n": n})
                for n in range(start, start + count)
            ],
            readings=True,
        )


@pytest.fixture
def verified(store: Store, tmp_path: Path) -> dict[str, Any]:
    """A store of a case with its records and 290 views, verified in full and recorded;
    then a second case (its file the same bytes as the first's), a new file and 40 more
    views written after the run."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    make_case_with_files(store, tmp_path / "a")
    _views(store, 290)
    full = verify(store, SYSTEM)
    assert full.ok, full.problems
    seq = record_verification(store, SYSTEM, full)
    assert seq is not None and full.tree_root is not None and full.chain_hash is not None
    after = make_case_with_files(store, tmp_path / "b", number="测试〔2026〕2号")
    footage = tmp_path / "b" / "现场.bin"
    footage.write_bytes(b"\x00\x01" * 5000)
    blob = store_file(store, SYSTEM, footage)
    _views(store, 40, start=290)
    return {"full": full, "seq": seq, "after": after, "blob": blob.sha256}


def test_continues_from_the_last_run_reading_only_what_came_after(store, verified):
    full = verified["full"]
    report = verify(store, SYSTEM, since_last=True)
    assert report.ok, report.problems
    assert report.since == full.events
    assert report.events == store.event_count()
    assert report.notes[0].startswith("增量校验：续接上次校验")
    # only the rows the new events wrote: the second case's, not the first's
    assert 0 < report.rows < full.rows
    assert report.blobs == 1  # the new file, found present with its size
    # the same tree as a full run computes, and a chain that a third run continues
    again = verify(store, SYSTEM)
    assert again.ok and (again.tree_root, again.chain_hash) == (
        report.tree_root,
        report.chain_hash,
    )
    assert record_verification(store, SYSTEM, report) is not None
    _views(store, 5, start=400)
    third = verify(store, SYSTEM, since_last=True)
    assert third.ok, third.problems
    assert third.since == report.events and third.events == store.event_count()


def test_without_a_run_to_continue_from_it_runs_in_full(store, tmp_path):
    make_case_with_files(store, tmp_path)
    report = verify(store, SYSTEM, since_last=True)
    assert report.ok and report.since is None
    assert report.notes[0] == "没有已记录的校验可以续接：进行完整校验"


def test_a_run_recorded_before_roots_were_recorded_is_not_continued(store, verified):
    as_intruder(
        store,
        "UPDATE ledger_events SET payload = :p WHERE seq = :s",
        tables=("ledger_events",),
        p='{"ok": true, "events": 3}',
        s=verified["seq"],
    )
    report = verify(store, SYSTEM, since_last=True)
    assert report.since is None
    assert "未记下可续接的树根与链哈希" in report.notes[0]
    assert report.names(f"ledger_events#{verified['seq']}")  # the edit itself, found in full


def test_an_edited_new_event_is_found_and_named_by_the_full_run(store, verified):
    target = store.event_count() - 3
    as_intruder(
        store,
        "UPDATE ledger_events SET payload = :p WHERE seq = :s",
        tables=("ledger_events",),
        p='{"n": 999}',
        s=target,
    )
    report = verify(store, SYSTEM, since_last=True)
    assert not report.ok and report.since is None
    assert "增量校验发现问题，已改为完整校验" in report.notes[0]
    assert report.names(f"ledger_events#{target}")


def test_changed_frontier_tiles_are_found(store, verified):
    """The older tree's frontier folds from the tiles: a changed entry there cannot give
    the recorded root."""
    base = verified["full"].events
    assert base > 256  # the frontier: the first full tile's root and part of the second
    with store.read() as conn:
        tile = bytes(
            conn.execute(
                text("SELECT hashes FROM ledger_tiles WHERE level = 0 AND idx = 1")
            ).scalar_one()
        )
    changed = bytes(32) + tile[32:]
    as_intruder(store, "UPDATE ledger_tiles SET hashes = :h WHERE level = 0 AND idx = 1", h=changed)
    report = verify(store, SYSTEM, since_last=True)
    assert not report.ok and report.since is None
    assert report.names("ledger_tiles#0/1")


def test_a_row_a_new_event_wrote_and_changed_since_is_found(store, verified):
    case = verified["after"]["case"]
    as_intruder(
        store, "UPDATE cases SET title = '改过的标题' WHERE id = :c", tables=("cases",), c=case
    )
    report = verify(store, SYSTEM, since_last=True)
    assert not report.ok
    assert report.names(f"cases/{case}")


def test_rehashing_only_the_new_files_notes_no_older_one_as_unregistered(store, verified):
    """``--since-last --blobs``: the new file read again; the older ones, registered by
    events this run did not read, are not "unregistered files" (that note is the full run's)."""
    report = verify(store, SYSTEM, since_last=True, blobs=True)
    assert report.ok and report.since is not None and report.blobs == 1
    assert not [n for n in report.notes if "未登记的文件" in n], report.notes


def test_a_file_registered_since_and_deleted_is_found(store, verified):
    store.blobs.delete(verified["blob"])
    report = verify(store, SYSTEM, since_last=True)
    assert not report.ok
    assert [p.kind for p in report.problems if p.object == f"blob {verified['blob']}"] == [
        "blob_missing"
    ]


def test_a_key_rotated_since_and_one_rotated_before_are_followed(store, verified):
    """The new checkpoints signed by a key the ledger rotated to since the last run; then,
    after that run is recorded, a run that continues past the rotation (read by its index)."""
    old = store.fingerprint
    done = rotate_key(store, SYSTEM)
    _views(store, 5, start=500)
    report = verify(store, SYSTEM, since_last=True, fingerprint=old)
    assert report.ok and report.since is not None, (report.problems, report.notes)
    assert report.key_fingerprint == done["new_fingerprint"]
    assert record_verification(store, SYSTEM, report) is not None
    _views(store, 5, start=600)
    again = verify(store, SYSTEM, since_last=True, fingerprint=old)
    assert again.ok and again.since == report.events, (again.problems, again.notes)


def test_genesis_naming_another_key_is_found(store, verified):
    """Event #0, older than the run continued from, rewritten to name another key: the key
    the ledger names for the older events is not the one the last run recorded."""
    with store.read() as conn:
        payload = conn.execute(text("SELECT payload FROM ledger_events WHERE seq = 0")).scalar_one()
    changed = payload.replace(store.fingerprint, "SHA256:" + "0" * 64)
    assert changed != payload
    as_intruder(
        store,
        "UPDATE ledger_events SET payload = :p WHERE seq = 0",
        tables=("ledger_events",),
        p=changed,
    )
    report = verify(store, SYSTEM, since_last=True)
    assert not report.ok and report.since is None
    assert report.names("ledger_events#0")


def test_an_older_event_edited_is_left_to_the_full_run(store, verified):
    """What ``--since-last`` does not read, as documented: an event older than the run it
    continues from. The full run, the default, finds it."""
    as_intruder(
        store,
        "UPDATE ledger_events SET payload = :p WHERE seq = :s",
        tables=("ledger_events",),
        p='{"n": -1}',
        s=100,
    )
    assert verify(store, SYSTEM, since_last=True).ok
    full = verify(store, SYSTEM)
    assert not full.ok and full.names("ledger_events#100")


def test_cli_since_last(store, verified, settings, monkeypatch):
    env = {"LIUHEN_DATA_DIR": str(settings.data_dir), "LIUHEN_DATABASE_URL": settings.database_url}
    new = store.event_count() - verified["full"].events
    result = run_cli(["verify", "--since-last"], env, monkeypatch)
    assert result.code == 0, result.out + result.err
    assert f"（其中新校验 {new} 条）" in result.out
    assert "提示：增量校验：续接上次校验" in result.out
    assert "本次校验已记入日志" in result.out
    as_json = run_cli(["verify", "--since-last", "--json", "--read-only"], env, monkeypatch)
    body = as_json.json()
    # continued from the run just recorded: every event but that record's own
    assert body["ok"] and body["since"] == store.event_count() - 1
    assert body["events"] == store.event_count()
