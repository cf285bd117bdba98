"""``verify`` holds nothing a signed checkpoint (issue 15): a ledger signs one a write
transaction, so a store may have as many checkpoints as events. Measured with
``tracemalloc`` over the checkpoint checks alone (the database's, then the copy outside it,
the checkpoint log), after the ledger's scan: what they hold grows by less than 150 bytes a
checkpoint (~70 here: arrays grown by half at a time), where a map of sizes to roots, a
cache of checked signatures and the tree's roots by size held ~700."""

from __future__ import annotations

import tracemalloc

from tests.helpers import SYSTEM

from liuhen.services.archiving.integrity.key import check_key
from liuhen.services.archiving.integrity.ledger import check_ledger
from liuhen.services.archiving.integrity.report import VerifyReport
from liuhen.services.archiving.integrity.signed import check_checkpoints, check_outside
from liuhen.store.store import Store


def _grow(store: Store, transactions: int) -> None:
    for i in range(transactions):
        with store.transaction(SYSTEM) as tx:  # each signs its checkpoint
            tx.record("case.viewed", subject_type="case", subject_id=f"c{i}")


def _checkpoints_peak(store: Store) -> tuple[int, int]:
    """The peak of what the checkpoint checks allocate, and how many checkpoints."""
    report = VerifyReport(checked_at=store.clock().isoformat())
    scan = check_ledger(store, report)
    try:
        signer = check_key(store, report, scan.genesis, None, scan.rotations)
        tracemalloc.start()
        try:
            signed = check_checkpoints(store, report, scan.tree, signer, scan.tail, scan.read_at)
            check_outside(store, report, scan.tree, signer, signed)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        scan.tree.close()
    assert report.ok, report.problems[:3]
    return peak, report.checkpoints


def test_the_checkpoint_checks_hold_nothing_a_checkpoint(store: Store) -> None:
    _grow(store, 200)
    _checkpoints_peak(store)  # warm: statements compiled, the key read, once
    small, before = _checkpoints_peak(store)
    _grow(store, 1000)
    large, after = _checkpoints_peak(store)
    assert after - before >= 1000
    assert (large - small) / (after - before) < 150, (small, large, before, after)
