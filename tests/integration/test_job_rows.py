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


def test_the_newest_of_a_key_is_the_later_job_when_two_have_the_same_time(store) -> None:  # type: ignore[no-untyped-def]
    """Two jobs of a key made at one instant (a clock's resolution, a test's fixed clock):
    the one asked for after the other ended is the newest, whatever their random ids."""
    engine, clock = store.engine, store.clock
    for n in range(8):  # ids are random: each order of the two ids comes up
        key, kind = f"k{n}", f"test{n}"
        first, _made = job_rows.enqueue(engine, clock(), kind=kind, key=key, args={})
        held = job_rows.claim(engine, clock(), "node-a", LEASE, [kind])
        assert held is not None and held["id"] == first["id"]
        assert job_rows.finish(engine, clock(), held, result={})
        second, made = job_rows.enqueue(engine, clock(), kind=kind, key=key, args={})
        assert made and second["created_at"] == first["created_at"]
        with store.read() as conn:
            assert job_rows.latest(conn, [key])[key]["id"] == second["id"]
        held = job_rows.claim(engine, clock(), "node-a", LEASE, [kind])
        assert held is not None and job_rows.finish(engine, clock(), held, result={})
        third, _made = job_rows.enqueue(engine, clock(), kind=kind, key=key, args={})
        with store.read() as conn:  # three at one instant: the waiting one, then by ending
            assert job_rows.latest(conn, [key])[key]["id"] == third["id"]


def old_and_new_jobs(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Jobs 40 days old (one done, one failed for good, one still waiting, one still running)
    and one done yesterday: kind -> id. The clock ends where it began."""
    engine, clock = store.engine, store.clock
    made = {}
    clock.advance(days=-40)
    for kind in ("done", "failed", "running", "queued"):
        made[kind] = job_rows.enqueue(engine, clock(), kind=kind, key=f"old-{kind}", args={})[0]
    for kind in ("done", "failed", "running"):
        held = job_rows.claim(engine, clock(), "node-a", LEASE, [kind])
        assert held is not None
        if kind != "running":
            job_rows.finish(
                engine, clock(), held, **({"error": "失败"} if kind == "failed" else {})
            )
    clock.advance(days=39)
    recent = job_rows.enqueue(engine, clock(), kind="done", key="recent", args={})[0]
    held = job_rows.claim(engine, clock(), "node-a", LEASE, ["done"])
    assert held is not None and held["id"] == recent["id"]
    job_rows.finish(engine, clock(), held, result={})
    clock.advance(days=1)
    return {kind: job["id"] for kind, job in made.items()} | {"recent": recent["id"]}


def test_jobs_that_ended_long_ago_are_deleted_once_a_day_on_one_node(store) -> None:  # type: ignore[no-untyped-def]
    """The scheduled ``job_cleanup``: rows of jobs that ended ``LIUHEN_JOB_RETENTION_DAYS``
    (30) ago go, waiting and running ones stay whatever their age; two nodes make the day's
    slot once; a run that deleted rows says how many on the ledger, one that deleted none
    adds nothing."""
    from sqlalchemy import select

    from liuhen.jobs.kinds import JOBS_PRUNED, runner_for
    from liuhen.store import tables as t

    assert store.settings.job_retention_days == 30
    old_and_new_jobs(store)
    a, b = runner_for(store), runner_for(store)
    assert a.make_scheduled() == 2 and b.make_scheduled() == 0  # export_cleanup, job_cleanup
    while b.run_one():
        pass
    with store.read() as conn:
        left = {r.key for r in conn.execute(select(t.jobs.c.key).where(t.jobs.c.slot.is_(None)))}
        [cleanup] = job_rows.of_kind(conn, "job_cleanup")
        events = conn.execute(
            select(t.ledger_events).where(t.ledger_events.c.action == JOBS_PRUNED)
        ).mappings()
        [event] = list(events)
    assert left == {"old-running", "old-queued", "recent"}, left
    assert cleanup["state"] == "done" and cleanup["result"]["removed"] == 2
    assert event["payload"]["removed"] == 2 and event["payload"]["days"] == 30
    assert event["actor_label"].startswith("清理后台任务记录")
    store.clock.advance(days=1)
    assert b.make_scheduled() == 2 and a.make_scheduled() == 0  # the next slots, once
    while a.run_one():
        pass
    with store.read() as conn:
        ran = job_rows.of_kind(conn, "job_cleanup", state="done")
        count = conn.execute(
            select(t.ledger_events.c.seq).where(t.ledger_events.c.action == JOBS_PRUNED)
        ).all()
    assert [r["result"]["removed"] for r in ran] == [2, 0] and len(count) == 1


def test_an_export_whose_job_row_was_deleted_reads_as_expired(store) -> None:  # type: ignore[no-untyped-def]
    """An export asked for long ago whose job's row ``job_cleanup`` deleted is expired (asked
    again, it is made anew), not "未能开始"; one whose job row is missing early failed."""
    from liuhen.services.archiving.export_jobs import job_state

    now = store.clock()
    row = {"id": "e1", "case_id": "c1", "kind": "package", "basis": 3, "attempt": 1}
    old = job_state(store.settings, row | {"requested_at": now - timedelta(days=31)}, now)
    fresh = job_state(store.settings, row | {"requested_at": now}, now)
    assert (old.state, fresh.state) == ("expired", "failed"), (old, fresh)
