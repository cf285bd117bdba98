"""A party's link revoked by four people at once (the officer worried it leaked, pressing
again, the head as well): one revocation is recorded, the others are told it already is."""

from __future__ import annotations

from sqlalchemy import func, select

from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import ops
from tests.helpers import SYSTEM
from tests.integration.test_access_requests import after_the_act, approved_link  # noqa: F401

REVOKE = "liuhen.services.access.share_links:revoke_link"


def test_one_link_revoked_four_times_at_once_is_revoked_once(store, tmp_path, racers) -> None:  # type: ignore[no-untyped-def]
    link, who, _request = approved_link(store, tmp_path)
    results = racers.race(store, ops.call, REVOKE, who["officer"], link.id, "当事人称链接泄露")
    assert results.codes == {"ok": 1, "conflict": 3}, results
    assert all("已被撤销" in m for m in results.values("conflict")), results
    events = t.ledger_events
    with store.read() as conn:
        revoked = conn.execute(
            select(func.count()).where(
                events.c.action == "share.revoked", events.c.subject_id == link.id
            )
        ).scalar()
    assert revoked == 1
    assert verify(store, SYSTEM).ok
