"""The job table's rules (``store/job_rows.py``), on SQLite and PostgreSQL: one waiting job
per key, a job whose node stopped renewing its lease is taken by another node (a new
attempt), and after its last attempt it fails with a message instead of running again;
only the holder of an attempt may report on it or end it."""

from __future__ import annotations

from datetime import timedelta

from liuhen.store import job_rows

LEASE = timedelta(minutes=2)


def test_a_job_whose_node_died_is_retried_elsewhere_then_failed(store) -> None:  # type: ignore[no-untyped-def]
    engine, clock = store.engine, store.clock
    job, made = job_rows.enqueue(engine, clock(), kind="test", key="k", args={"a": 1})
    again, made_again = job_rows.enqueue(engine, clock(), kind="test", key="k", args={})
    assert made and not made_again and again["id"] == job["id"]
    first = job_rows.claim(engine, clock(), "node-a", LEASE, ["test"])
    assert first is not None and first["attempts"] == 1 and first["args"] == {"a": 1}
    assert job_rows.claim(engine, clock(), "node-b", LEASE, ["test"]) is None  # leased
    clock.advance(minutes=1)
    assert job_rows.report(engine, first, 0.5, "一半", clock() + LEASE)  # renews the lease
    clock.advance(minutes=2)
    assert job_rows.claim(engine, clock(), "node-b", LEASE, ["test"]) is None
    clock.advance(minutes=1)  # node-a wrote nothing for two minutes: it died
    second = job_rows.claim(engine, clock(), "node-b", LEASE, ["test"])
    assert second is not None and second["node"] == "node-b" and second["attempts"] == 2
    assert not job_rows.report(engine, first, 0.9, "", clock() + LEASE)  # no longer held
    assert not job_rows.finish(engine, clock(), first, result={"late": True})
    clock.advance(minutes=3)
    third = job_rows.claim(engine, clock(), "node-c", LEASE, ["test"])
    assert third is not None and third["attempts"] == 3
    clock.advance(minutes=3)
    assert job_rows.claim(engine, clock(), "node-a", LEASE, ["test"]) is None
    with store.read() as conn:
        ended = job_rows.get(conn, job["id"])
    assert ended is not None and ended["state"] == "failed"
    assert "重试 3 次" in ended["error"], ended
    fresh, made = job_rows.enqueue(engine, clock(), kind="test", key="k", args={})
    assert made and fresh["id"] != job["id"]  # asked again: a new job


def test_only_the_holder_ends_a_job_and_the_newest_of_a_key_is_shown(store) -> None:  # type: ignore[no-untyped-def]
    engine, clock = store.engine, store.clock
    job_rows.enqueue(engine, clock(), kind="test", key="k", args={})
    held = job_rows.claim(engine, clock(), "node-a", LEASE, ["test"])
    assert held is not None
    assert job_rows.claim(engine, clock(), "node-a", LEASE, ["other"]) is None
    assert job_rows.renew(engine, [held], clock() + LEASE) == 1
    assert job_rows.finish(engine, clock(), held, result={"size": 3})
    assert not job_rows.finish(engine, clock(), held, error="再次结束")
    clock.advance(seconds=1)
    later, _ = job_rows.enqueue(engine, clock(), kind="test", key="k", args={})
    with store.read() as conn:
        newest = job_rows.latest(conn, ["k", "none"])
        done = job_rows.of_kind(conn, "test", state="done")
    assert list(newest) == ["k"] and newest["k"]["id"] == later["id"]
    assert [d["result"] for d in done] == [{"size": 3}]
