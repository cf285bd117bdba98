"""A key rotation while other processes write: ``liuhen ledger rotate-key`` beside a running
server. Each writer opened its store (and read the old key) before the rotation; every
checkpoint after the rotation must still be the new key's, or ``verify`` would report them
as signed by another key. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import ledger_ops
from tests.helpers import SYSTEM


def test_writers_holding_the_old_key_sign_with_the_new_one_once_it_is_recorded(
    store, racers
) -> None:  # type: ignore[no-untyped-def]
    old = store.fingerprint
    each = [("rotate", 5)] + [("write", 5, 60.0)] * (racers.n - 1)
    results = racers.race_each(store, ledger_ops.rotate_or_write, each)
    assert results.codes == {"ok": racers.n}, results
    new = results.values()[0].strip("'")
    assert new != old
    assert set(results.values()) == {repr(new)}, results  # every writer moved to the new key
    with store.read() as conn:
        rotated = conn.execute(
            select(t.ledger_events.c.seq).where(t.ledger_events.c.action == "ledger.key_rotated")
        ).scalar_one()
        signers = conn.execute(
            select(t.checkpoints.c.tree_size, t.checkpoints.c.key_fingerprint)
        ).all()
    assert {fp for size, fp in signers if size <= rotated + 1} == {old}
    after = {fp for size, fp in signers if size > rotated + 1}
    assert after == {new}, after
    report = verify(store, SYSTEM)
    assert report.ok, [p.kind for p in report.problems]
