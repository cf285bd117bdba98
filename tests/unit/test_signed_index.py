"""``integrity.signed_index``: the database's checkpoints as the copies are checked against,
in a few bytes each."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

from liuhen.ledger.checkpoint import Checkpoint
from liuhen.services.archiving.integrity.report import ranges
from liuhen.services.archiving.integrity.signed_index import Held, SignedCheckpoints

_AT = datetime(2026, 12, 7, tzinfo=UTC)


def _cp(size: int, later: int = 0) -> Checkpoint:
    stamp = _AT + timedelta(seconds=later)
    return Checkpoint(size, size.to_bytes(32, "big"), stamp, "liuhen.test/ledger")


def test_a_copy_is_the_checkpoint_only_when_body_and_signature_are_the_same():
    signed = SignedCheckpoints()
    signed.add(_cp(3), b"s" * 64)
    signed.add(_cp(5), None)  # did not hold: a copy of it is judged on its own
    assert signed.same(_cp(3), b"s" * 64)
    assert not signed.same(_cp(3), b"t" * 64)
    assert not signed.same(_cp(3, later=1), b"s" * 64)
    assert not signed.same(_cp(5), b"s" * 64)
    assert not signed.same(_cp(4), b"s" * 64)


def test_sizes_added_out_of_order_are_found_in_order():
    signed = SignedCheckpoints()
    for size in (9, 2, 7, 4):
        signed.add(_cp(size), bytes([size]) * 64)
    assert signed.newest() == 9
    assert signed.newest(8) == 7
    assert signed.newest(1) is None
    assert [signed.size_at(i) for i in signed.between(3, 9)] == [4, 7, 9]
    assert all(signed.same(_cp(s), bytes([s]) * 64) for s in (2, 4, 7, 9))


def test_held_names_what_a_copy_lacks_and_what_the_database_lacks():
    signed = SignedCheckpoints()
    for size in range(10, 101, 10):
        signed.add(_cp(size), b"s" * 64)
    held = Held(signed)
    assert not held
    for size in (30, 40, 70, 55):
        held.add(size)
    assert held.smallest == 30
    assert held.others == {55}
    assert list(held.missing(held.smallest, 80)) == [50, 60, 80]
    assert ranges(held.missing(-1, 1000)) == (7, "10、20、50、60、80、90…")


def test_a_hundred_thousand_checkpoints_take_a_few_megabytes():
    cps = [_cp(size) for size in range(1, 100_001)]
    tracemalloc.start()
    try:
        signed = SignedCheckpoints()
        for cp in cps:
            signed.add(cp, b"s" * 64)
        held = Held(signed)
        for cp in cps:
            held.add(cp.tree_size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert list(held.missing(0, 100_000)) == []
    assert peak < 100_000 * 40  # 24 bytes a checkpoint and one a copy, arrays grown by half
