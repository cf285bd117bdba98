"""Rate limits under concurrency: four processes (as four nodes would) count calls of one
account at once and exactly the limit is let through — the database counts, on SQLite and
on PostgreSQL — and the count goes on in the same row afterwards."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from liuhen.store import tables as t
from liuhen.store.rate_limits import count_hit, window_start
from tests.concurrency import ops

LIMIT_API = "liuhen.services.admin.rate_limits:limit_api"


def test_four_at_once_let_exactly_the_limit_through(store, racers) -> None:  # type: ignore[no-untyped-def]
    limited = SimpleNamespace(
        settings=replace(store.settings, api_rate_per_minute=2), clock=store.clock
    )  # the racers open their stores with these settings (and the test's clock: one minute)
    results = racers.race(limited, ops.call, LIMIT_API, "user-1")
    assert results.codes == {"ok": 2, "rate_limited": 2}, results
    assert all("每分钟最多 2 次" in m for m in results.values("rate_limited")), results
    assert _count(store, "api:user-1") == 5


def test_a_new_window_starts_again_and_drops_the_old_one(store, clock) -> None:  # type: ignore[no-untyped-def]
    for n in range(1, 4):
        assert _count(store, "signin:10.0.0.9") == n
    clock.advance(minutes=1)
    hit = count_hit(store, "signin:10.0.0.9", seconds=60)
    assert hit is not None and hit.count == 1 and 1 <= hit.retry_after <= 60
    with store.read() as conn:
        kept = conn.execute(
            select(t.rate_windows.c.window_start).where(
                t.rate_windows.c.subject == "signin:10.0.0.9"
            )
        ).all()
    assert len(kept) == 1  # the past minute's row is gone
    assert _count(store, "signin:10.0.0.8") == 1  # another subject apart


def _count(store, subject: str) -> int:  # type: ignore[no-untyped-def]
    hit = count_hit(store, subject, seconds=60)
    assert hit is not None
    return hit.count


def test_window_start_is_aligned() -> None:
    now = datetime(2026, 12, 5, 4, 10, 59, 900000, tzinfo=UTC)
    assert window_start(now, 60) == datetime(2026, 12, 5, 4, 10, tzinfo=UTC)
    assert window_start(now + timedelta(milliseconds=100), 60) == datetime(
        2026, 12, 5, 4, 11, tzinfo=UTC
    )
