"""``verify`` on a large ledger shares the ledger check with a helper process
(``integrity.ranges``): ranges of events checked in a second process, taken into the scan
in order only when they start from the chain the scan computed. The report is the same
with the helper as without it, finding by finding: here with ranges of five events (most
of them the helper's) and pages of three, on a clean store, on one damaged inside the
helper's ranges (a payload rewritten, a chain hash and a leaf hash changed, events deleted,
the newest checkpoints removed so the signed size falls mid-range; an event forged far
beyond the newest), and with the helper killed or stopped mid-run (its ranges are then
checked in the main process; no hang)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.helpers import make_case_with_files

from liuhen.ledger.events import Actor
from liuhen.services.archiving.integrity import helper, ranges, verify
from liuhen.store import event_rows
from liuhen.store.store import Store

SYSTEM = Actor.system("测试")


def _raw(store: Store, *statements: str) -> None:
    """Change the ledger as an intruder with database access would (around its guards)."""
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            for name in ("ledger_events_no_update", "ledger_events_no_delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
            conn.execute(text("DROP TRIGGER IF EXISTS checkpoints_no_delete"))
        else:
            conn.execute(text("ALTER TABLE ledger_events DISABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE checkpoints DISABLE TRIGGER USER"))
        for sql in statements:
            conn.execute(text(sql))
        conn.commit()


@pytest.fixture
def ranged(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Three cases with their records (events that record rows and change cases) and a
    run of views, one transaction each; ranges of five events, pages of three."""
    for n in range(1, 4):
        (tmp_path / str(n)).mkdir()
        make_case_with_files(store, tmp_path / str(n), number=f"测试〔2026〕{n}号")
    for n in range(30):
        with store.transaction(SYSTEM) as tx:
            payload = {"page": "case", "n": n}
            tx.record("case.viewed", subject_type="case", subject_id=f"c{n}", payload=payload)
    monkeypatch.setattr(ranges, "RANGE", 5)
    monkeypatch.setattr(event_rows, "PAGE", 3)
    assert store.event_count() > 8 * ranges.RANGE
    return store


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ranges the helper answered, as they come."""
    seen: list[int] = []
    receive = helper.Helper.receive

    def noting(self: helper.Helper, *, wait: bool) -> None:
        receive(self, wait=wait)
        seen.extend(self.answered)

    monkeypatch.setattr(helper.Helper, "receive", noting)
    return seen


def _both(store: Store) -> tuple[Any, Any]:
    """The report without the helper and with it, each as everything it says."""
    alone, helped = verify(store, SYSTEM, jobs=1), verify(store, SYSTEM, jobs=2)
    return (alone.to_dict(), alone.case_numbers), (helped.to_dict(), helped.case_numbers)


def test_a_clean_ledger_checked_with_a_helper_reports_the_same(
    ranged: Store, answered: list[int]
) -> None:
    alone, helped = _both(ranged)
    assert alone == helped
    assert alone[0]["ok"] and alone[0]["events"] == ranged.event_count()
    assert len(answered) >= 2  # the helper's first two ranges are waited for, at least


def test_damage_in_the_helpers_ranges_is_reported_the_same(
    ranged: Store, answered: list[int]
) -> None:
    """A payload rewritten (#12), a chain hash changed at a range's last event (#19), a
    leaf hash changed at a range's first (#25), two events deleted across a cut (#34, #35),
    and the checkpoints after #40 removed (the signed size falls inside a range)."""
    with ranged.read() as conn:
        payload = conn.execute(text("SELECT payload FROM ledger_events WHERE seq = 12")).scalar()
    assert isinstance(payload, str) and payload.startswith("{")
    spaced = payload.replace(",", ", ", 1).replace("'", "''")
    _raw(
        ranged,
        f"UPDATE ledger_events SET payload = '{spaced}' WHERE seq = 12",
        f"UPDATE ledger_events SET chain_hash = '{'ab' * 32}' WHERE seq = 19",
        f"UPDATE ledger_events SET leaf_hash = '{'cd' * 32}' WHERE seq = 25",
        "DELETE FROM ledger_events WHERE seq IN (34, 35)",
        "DELETE FROM checkpoints WHERE tree_size > 40",
    )
    alone, helped = _both(ranged)
    assert alone == helped
    named = {p["object"] for p in alone[0]["problems"]}
    assert {"ledger_events#12.payload", "ledger_events#19", "ledger_events#25.leaf_hash"} <= named
    assert "ledger_events#34–#35" in named
    assert answered


def test_an_event_forged_far_beyond_the_newest_is_reported_the_same_and_soon(
    ranged: Store,
) -> None:
    """A copy of event #3 as #1,000,000,000: the ledger is not cut into the 200 million
    ranges its newest seq would make (the first empty one ends the cutting)."""
    columns = ", ".join(c for c in _COLUMNS if c != "seq")
    _raw(
        ranged,
        f"INSERT INTO ledger_events (seq, {columns}) "
        f"SELECT 1000000000, {columns} FROM ledger_events WHERE seq = 3",
    )
    began = time.monotonic()
    alone, helped = _both(ranged)
    assert alone == helped
    assert not alone[0]["ok"] and time.monotonic() - began < 60


_COLUMNS = (
    "seq", "occurred_at", "actor_id", "actor_label", "action", "subject_type", "subject_id",
    "case_id", "payload", "payload_digest", "prev_hash", "chain_hash", "leaf_hash",
)  # fmt: skip


@pytest.mark.parametrize(
    ("sent", "when"),
    [
        (signal.SIGKILL, "started"),
        (signal.SIGKILL, "answered"),
        (signal.SIGSTOP, "answered"),
    ],
)
def test_a_helper_killed_or_stopped_leaves_its_ranges_to_the_main_process(
    ranged: Store, monkeypatch: pytest.MonkeyPatch, sent: signal.Signals, when: str
) -> None:
    """Killed as it starts or after its first answer, or stopped (it never answers again:
    ended after ``STALL`` seconds): the main process checks its ranges, the report is the
    same as without it, and no helper is left running."""
    alone = verify(ranged, SYSTEM, jobs=1)
    signalled: list[int] = []
    start, receive = helper.Helper.__init__, helper.Helper.receive

    helpers: list[int] = []

    def started(self: helper.Helper, *args: Any) -> None:
        start(self, *args)
        helpers.append(self.pid)
        if when == "started":
            _signal(self, sent, signalled)

    def receiving(self: helper.Helper, *, wait: bool) -> None:
        receive(self, wait=wait)
        if when == "answered" and self.answered:
            _signal(self, sent, signalled)

    monkeypatch.setattr(helper, "STALL", helper.STALL)  # put back after the test
    monkeypatch.setattr(helper.Helper, "__init__", started)
    monkeypatch.setattr(helper.Helper, "receive", receiving)
    began = time.monotonic()
    helped = verify(ranged, SYSTEM, jobs=2)
    assert signalled
    assert (helped.to_dict(), helped.case_numbers) == (alone.to_dict(), alone.case_numbers)
    assert time.monotonic() - began < 30
    assert helpers and not [pid for pid in helpers if Path(f"/proc/{pid}").exists()]  # reaped


def _signal(running: helper.Helper, sent: signal.Signals, signalled: list[int]) -> None:
    """Send ``sent`` to the helper once; from then on it may be silent one second only
    (not before: a helper starting on a loaded machine takes longer)."""
    if running.pid not in signalled and running.failed is None:
        os.kill(running.pid, sent)
        signalled.append(running.pid)
        helper.STALL = 1.0


def test_the_ledger_check_tells_its_progress_alone_and_with_a_helper(
    ranged: Store, answered: list[int]
) -> None:
    """``liuhen verify``'s bar on a terminal: events checked of all, never back, to the end."""
    events = ranged.event_count()
    for jobs in (1, 2):
        told: list[tuple[str, int, int]] = []
        report = verify(ranged, SYSTEM, jobs=jobs, progress=lambda *said, to=told: to.append(said))
        assert report.ok
        ledger = [(done, total) for stage, done, total in told if stage == "ledger"]
        assert len(ledger) >= events // 5 - 2, jobs  # a page of three, or a range of five
        assert {total for _, total in ledger} == {events}
        done = [d for d, _ in ledger]
        assert done == sorted(done) and done[-1] == events
    assert answered  # the second run took ranges from the helper
