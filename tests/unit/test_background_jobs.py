"""The web server's background worker: one job per key at a time, errors kept as a
message (in Chinese for LiuHen's own errors), the worker surviving a crash."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from liuhen.errors import Conflict
from liuhen.jobs.background import DONE, FAILED, RUNNING, BackgroundJobs


def _jobs() -> BackgroundJobs:
    return BackgroundJobs(lambda: datetime(2026, 12, 2, tzinfo=UTC))


def test_asking_again_while_a_job_runs_returns_the_same_job():
    jobs, release, started = _jobs(), threading.Event(), threading.Event()
    calls = []

    def work() -> str:
        calls.append(1)
        started.set()
        release.wait(5)
        return "报告"

    first = jobs.submit("four-properties:c1", "四性检测", work)
    assert started.wait(5) and first.state == RUNNING
    assert jobs.submit("four-properties:c1", "四性检测", work) is first
    release.set()
    done = jobs.wait("four-properties:c1")
    assert done is first and done.state == DONE and done.result == "报告" and calls == [1]
    again = jobs.submit("four-properties:c1", "四性检测", lambda: "第二次")
    assert again is not first and jobs.wait("four-properties:c1").result == "第二次"
    jobs.stop()


def test_a_failed_job_keeps_its_message_and_the_worker_goes_on():
    jobs = _jobs()

    def refused() -> None:
        raise Conflict("case: 案件尚未结案")

    def crashed() -> None:
        raise ZeroDivisionError

    jobs.submit("a", "检测", refused)
    jobs.submit("b", "检测", crashed)
    jobs.submit("c", "检测", lambda: 42)
    assert jobs.wait("a").state == FAILED and jobs.get("a").error == "case: 案件尚未结案"
    assert jobs.wait("b").state == FAILED and "内部错误" in jobs.get("b").error
    assert jobs.wait("c").state == DONE and jobs.get("c").result == 42
    assert jobs.get("missing") is None
    jobs.stop()


def test_a_job_reports_the_share_done_while_it_runs():
    jobs, release, reported = _jobs(), threading.Event(), threading.Event()
    report = jobs.reporter("footage-render:r1:v1")
    seen: list[int] = []

    def work() -> str:
        report(0.25)
        seen.append(jobs.get("footage-render:r1:v1").percent)  # type: ignore[union-attr]
        report(1.7)  # kept within 0..1
        reported.set()
        release.wait(5)
        return "视频"

    job = jobs.submit("footage-render:r1:v1", "制作遮盖后的视频", work)
    assert reported.wait(5) and job.state == RUNNING and seen == [25] and job.progress == 1.0
    release.set()
    assert jobs.wait("footage-render:r1:v1").percent == 100
    jobs.reporter("nothing-submitted")(0.5)  # a key with no job: nothing to report to
    jobs.stop()
