"""Checkpoints at most every ``LIUHEN_CHECKPOINT_MS`` (``store/checkpointing``): writes are
committed (durable) when acknowledged and left as an unsigned tail, which the process's
signer covers with one checkpoint within the interval; ``verify`` accepts a tail that young
and says so, reports an older one, and the next start signs a tail a crash left."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from tests.conftest import ENGINES

from liuhen.ledger.events import Actor
from liuhen.services.admin.ledger import checkpoint_now
from liuhen.services.archiving.integrity import verify
from liuhen.store.recovery import recover_store
from liuhen.store.store import Store

SYSTEM = Actor.system("测试")
INTERVAL_MS = 300


@pytest.fixture(params=ENGINES)
def cadence_store(request, tmp_path: Path, make_settings, clock) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    from tests.conftest import ADMIN_PASSWORD

    from liuhen.services.admin.setup import initialise

    env = {"LIUHEN_CHECKPOINT_MS": str(INTERVAL_MS), "LIUHEN_CHECKPOINT_EVENTS": "50"}
    settings = make_settings(tmp_path / "data", engine=request.param, env=env)
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(settings, clock=clock)
    yield store
    store.close()


def _write(store: Store, count: int) -> list[int]:
    seqs = []
    for n in range(count):
        with store.transaction(SYSTEM) as tx:
            seqs.append(tx.record("case.viewed", subject_type="case", subject_id=f"c{n}"))
    return seqs


def _signed(store: Store) -> int:
    latest = store.latest_checkpoint()
    return int(latest["tree_size"]) if latest else 0


def _log_lines(store: Store) -> int:
    return len(store.checkpoint_log.path.read_text("utf-8").splitlines())


def test_writes_are_signed_over_together_within_the_interval(cadence_store: Store) -> None:
    store = cadence_store
    before, lines = _signed(store), _log_lines(store)
    later = store.signing._later
    asked = []
    later.sign = lambda: asked.append(1)  # type: ignore[method-assign]  # held while checked
    seqs = _write(store, 5)  # (on a loaded machine five writes can take longer than 300 ms)
    assert store.event_count() == seqs[-1] + 1  # committed when acknowledged
    assert _signed(store) == before and len(asked) == 5  # not yet signed: a tail
    report = verify(store, SYSTEM)
    assert report.ok, report.problems
    assert any("尚待签发检查点" in note for note in report.notes)
    del later.sign  # the signer, asked as the writes asked it
    later.sign()
    deadline = time.monotonic() + 5
    while _signed(store) < seqs[-1] + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _signed(store) == seqs[-1] + 1
    assert _log_lines(store) == lines + 1  # one checkpoint for the five writes
    report = verify(store, SYSTEM)
    assert report.ok and not any("尚待签发" in note for note in report.notes)


def test_enough_unsigned_events_are_signed_at_once(cadence_store: Store) -> None:
    store = cadence_store
    store.signing._later.sign = lambda: None  # type: ignore[method-assign]  # no signer thread
    _write(store, 3)
    with store.transaction(SYSTEM) as tx:
        for n in range(50):
            tx.record("case.viewed", subject_type="case", subject_id=f"many{n}")
    assert _signed(store) == store.event_count()  # LIUHEN_CHECKPOINT_EVENTS reached


def test_a_tail_a_crash_left_is_reported_until_the_next_start_signs_it(
    cadence_store: Store, clock
) -> None:  # type: ignore[no-untyped-def]
    store = cadence_store
    store.signing._later.sign = lambda: None  # type: ignore[method-assign]  # "killed" signer
    seqs = _write(store, 3)
    clock.advance(seconds=5)
    report = verify(store, SYSTEM)
    assert not report.ok
    unsigned = [p for p in report.problems if p.kind == "ledger_unsigned"]
    assert unsigned and unsigned[0].object == f"ledger_events#{seqs[0]}–#{seqs[-1]}"
    # started again with LIUHEN_CHECKPOINT_MS 0: no tail signed, and the start says so
    zero = Store.open(replace(store.settings, checkpoint_ms=0), clock=clock)
    try:
        done = recover_store(zero)
    finally:
        zero.close()
    assert done.tail_signed is None and done.tail_left == (seqs[0], seqs[-1] + 1)
    done = recover_store(store)  # with the interval the killed process had: signed
    assert done.tail_signed == seqs[-1] + 1 and done.tail_left is None
    report = verify(store, SYSTEM)
    assert report.ok, report.problems


def test_closing_the_store_signs_what_it_left_and_a_checkpoint_asked_for_is_signed_now(
    cadence_store: Store,
) -> None:
    store = cadence_store
    store.signing._later._delay = 3600  # the interval never passes in this test
    seqs = _write(store, 2)
    assert _signed(store) < seqs[-1] + 1
    cp = checkpoint_now(store, SYSTEM)
    assert cp["tree_size"] == seqs[-1] + 2  # the tail and the checkpoint's own event
    _write(store, 2)
    store.close()
    reopened = Store.open(store.settings, clock=store.clock)
    try:
        assert _signed(reopened) == reopened.event_count()
    finally:
        reopened.close()


def test_events_appended_outside_liuhen_are_never_signed_over(cadence_store: Store) -> None:
    """A correctly chained event inserted with SQL (no tiles, as the writers make them) and
    the head moved past it: the signer refuses the tail, and ``verify`` names it."""
    from sqlalchemy import select, update

    from liuhen.ledger.sealed import sealed_event
    from liuhen.store import tables as t

    store = cadence_store
    _write(store, 1)
    assert store.signing.sign_tail() is not None  # the tail LiuHen wrote is signed
    with store.read() as conn:
        head = conn.execute(select(t.ledger_head)).one()
    row = sealed_event(
        int(head.next_seq), str(head.chain_hash), store.clock(), SYSTEM, "case.viewed",
        subject_type="case", subject_id="forged", case_id=None, body={},
    )  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(t.ledger_events.insert(), row)
        conn.execute(
            update(t.ledger_head).values(next_seq=row["seq"] + 1, chain_hash=row["chain_hash"])
        )
    assert store.signing.sign_tail() is None
    assert _signed(store) == row["seq"]


def test_a_tail_is_judged_by_its_age_when_the_ledger_was_read(
    cadence_store: Store, clock, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A verify that reads a young tail and then takes long (a large ledger, a loaded
    machine) notes it: its age is taken when the snapshot began, not when verify ends."""
    import liuhen.services.archiving.integrity as integrity

    store = cadence_store
    store.signing._later.sign = lambda: None  # type: ignore[method-assign]  # not signed yet
    _write(store, 2)
    real = integrity.check_key

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        clock.advance(seconds=30)  # the ledger read, then a long time passes
        return real(*args, **kwargs)

    monkeypatch.setattr(integrity, "check_key", slow)
    report = verify(store, SYSTEM)
    assert report.ok, report.problems
    assert any("尚待签发检查点" in note for note in report.notes)
