"""Resumable uploads staged in the object store, under concurrency: four processes (as four
nodes would) claim one upload's row at the same offset at once and exactly one may write;
the others are told a request is writing (423), and once the winner has committed a later
offset, a PATCH at the old one is told the offset moved (409). The database decides, on
SQLite and on PostgreSQL (``store.upload_rows.claim``)."""

from __future__ import annotations

from liuhen.store import upload_rows as rows
from tests.concurrency import ops

CLAIM = "liuhen.services.av.shared_patch:claim"


def test_one_of_four_claims_at_the_same_offset_writes(store, racers) -> None:  # type: ignore[no-untyped-def]
    info = {"id": "upload00000001", "length": 100}
    staging = {"s3": "x", "part_size": 1 << 24, "parts": [], "tail": None, "completed": False}
    rows.insert(store.engine, rows.UploadRow("upload00000001", info, 0, staging), store.clock())

    results = racers.race(store, ops.call, CLAIM, "upload00000001", 0)

    assert results.codes == {"ok": 1, "upload_locked": 3}, results
    [won] = results.values("ok")
    token = won.split("'")[1]
    row = rows.load(store.engine, "upload00000001")
    assert row is not None and row.writer == token
    assert rows.commit(store.engine, "upload00000001", token, store.clock(), received=40)
    assert not rows.commit(store.engine, "upload00000001", "someone-else", store.clock())

    late = racers.race(store, ops.call, CLAIM, "upload00000001", 0)

    assert late.codes == {"conflict": 4}, late
    assert all("服务器已收到 40 字节" in m for m in late.values("conflict")), late
    row = rows.load(store.engine, "upload00000001")
    assert row is not None and row.received == 40 and row.writer is None


def test_a_claim_not_renewed_for_its_lease_is_taken_over_by_one(store, racers, clock) -> None:  # type: ignore[no-untyped-def]
    """The node writing an upload died mid-PATCH (its claim stays, never renewed): within the
    lease every other node is told a request is writing (423); once the lease has run out,
    of four nodes asking at once exactly one takes the upload over, and the dead request's
    renewal and commit write nothing."""
    staging = {"s3": "x", "part_size": 1 << 24, "parts": [], "tail": None, "completed": False}
    rows.insert(store.engine, rows.UploadRow("upload00000002", {}, 0, staging), store.clock())
    assert rows.claim(store.engine, "upload00000002", 0, "dead-node", store.clock()).taken

    clock.advance(seconds=rows.LEASE.total_seconds() - 1)
    within = racers.race(store, ops.call, CLAIM, "upload00000002", 0)
    assert within.codes == {"upload_locked": 4}, within

    clock.advance(seconds=2)
    after = racers.race(store, ops.call, CLAIM, "upload00000002", 0)

    assert after.codes == {"ok": 1, "upload_locked": 3}, after
    token = after.values("ok")[0].split("'")[1]
    assert not rows.refresh(store.engine, "upload00000002", "dead-node", store.clock())
    assert not rows.commit(store.engine, "upload00000002", "dead-node", store.clock(), received=9)
    row = rows.load(store.engine, "upload00000002")
    assert row is not None and row.writer == token and row.received == 0
