"""Issue 14's cluster, under load: PostgreSQL, SeaweedFS and two ``liuhen serve`` nodes (each
its own data directory, the one signing key), as docs/deployment.md sets them up, both with
the scheduled fixity audit every minute. For ``DURATION`` seconds, at once: a docking station
uploads each file twice, one upload started on node A and resumed on node B and the other
the other way round, finishing together; an officer records acts through both nodes; legal
reviews are asked for and each is decided by the reviewer through both nodes at the same
moment; each version of a document is corrected through both nodes at the same moment; and
``liuhen import-av`` of one docking-station folder and ``liuhen import`` of one case bundle
each run twice at once from the command line.

Then: no answer was a 5xx and no node logged a traceback; each race had one winner (one
decision, one successor version, one ``new`` upload); the database holds no double
decision, no forked version and no footage recorded twice; each command pair stored its
files and its case once; each scheduled job's slot (the audit's every minute, the export
cleanup's every hour) was made once and ran once, and each audit run is on the ledger once;
``liuhen verify`` on the other node is clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from tests.factories import make_agency, make_user
from tests.helpers import SYSTEM

from liuhen.media.synthetic import make_recording, make_video, padding_box
from liuhen.services.admin.setup import initialise
from liuhen.services.av.stations import add_station
from liuhen.services.cases.cases import open_case
from liuhen.store import tables as t
from liuhen.store.store import Store

from . import cluster_load as load
from .nodes import node_env, running, s3_env

pytestmark = [
    pytest.mark.s3,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.xdist_group("cluster_load"),  # its own worker, while the rest runs beside it
]

DURATION = 60.0
"""The bounded mixed load (issue 14's Done-means: 60 seconds)."""
FIXITY_MINUTES = 1
"""The scheduled audit's interval, the same on both nodes (as docs/deployment.md says)."""
PASSWORD = "Officer-pass-2026"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def county(seaweedfs: str, tmp_path: Path, make_settings: Any) -> Iterator[dict[str, Any]]:
    """The shared store: an agency, its people, three open cases, a station's token."""
    settings = make_settings(tmp_path / "a", engine="postgres", env=s3_env(seaweedfs, "county"))
    initialise(settings, admin_password="Admin-pass-2026")
    store = Store.open(settings)
    made = make_agency(
        store,
        name="某县林业局",
        profile_id="shanxi-forestry",
        officers={"张伟": "1401", "李娜": "1402"},
    )
    agency = made["agency"]
    officer = make_user(store, "zhangwei", "officer", agency_id=agency, officer_id=made["张伟"])
    make_user(store, "zhaomin", "legal_reviewer", agency_id=agency)
    make_user(store, "custodian", "custodian", agency_id=agency)
    _, token = add_station(store, SYSTEM, name="采集站一", username="custodian")
    opened = datetime.now(TZ) - timedelta(days=2)
    party = {"kind": "organisation", "name": "某木材厂", "address": "东街1号"}
    cases = [  # the officer's own cases, numbered from the agency's 字号
        open_case(
            store,
            officer.actor,
            agency_id=agency,
            number="",
            title=f"某木材厂擅自改变林地用途案（{n}）",
            procedure="general",
            party=party,
            opened_at=opened,
        )
        for n in range(3)
    ]
    yield {
        "store": store,
        "agency": agency,
        "officers": [made["张伟"], made["李娜"]],
        "cases": cases,
        "token": token,
    }
    store.close()


def _videos(count: int) -> list[tuple[str, bytes]]:
    """Distinct short videos of 256 KiB, named as a body camera names them."""
    made = []
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    for n in range(count):
        start = (datetime.now(UTC) - timedelta(days=1, minutes=n)).replace(microsecond=0)
        path = folder / f"liuhen-load-{os.getpid()}-{n}.mp4"
        make_video(path, seconds=1, width=96, height=64, creation_time=start)
        video = path.read_bytes()
        path.unlink()
        size = 256 << 10
        data = video + padding_box(size - len(video)) + os.urandom(size - len(video) - 8)
        made.append((f"DSJ-LOAD-0001_{start.astimezone(TZ):%Y%m%d%H%M%S}.mp4", data))
    return made


def _run_all(work: list[tuple[Any, ...]], timeout: float) -> list[str]:
    """Each ``(function, *args)`` in a thread of its own, all at once; what any raised."""
    errors: list[str] = []

    def run(fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except BaseException:  # noqa: BLE001  (reported by the test)
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=run, args=item) for item in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors + [f"{t.name} still running" for t in threads if t.is_alive()]


def _commands(
    done: list[Any], envs: list[dict[str, str]], dock: Path, bundle: Path, agency: str
) -> None:
    """``import-av`` of one folder twice at once, then ``import`` of one bundle twice at once;
    each command's (exit code, stdout, stderr) into ``done``."""

    def twice(*args: str) -> list[tuple[int, str, str]]:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "liuhen", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for env in envs
        ]
        said = [proc.communicate(timeout=120) for proc in procs]
        return [(p.returncode, out, err) for p, (out, err) in zip(procs, said, strict=True)]

    done.append(twice("import-av", str(dock), "--agency", agency, "--json"))
    done.append(twice("import", str(bundle), "--json"))


def test_two_nodes_under_a_minute_of_mixed_load_keep_every_invariant(
    county: dict[str, Any], tmp_path: Path
) -> None:
    store: Store = county["store"]
    settings = store.settings
    envs = [
        node_env(settings, LIUHEN_FIXITY_INTERVAL_MINUTES=str(FIXITY_MINUTES)),
        node_env(settings, tmp_path / "b", LIUHEN_FIXITY_INTERVAL_MINUTES=str(FIXITY_MINUTES)),
    ]
    dock = tmp_path / "dock" / "DSJ-V9-0001"
    make_recording(dock, start=datetime.now(TZ).replace(microsecond=0) - timedelta(hours=3))
    bundle = resources.files("liuhen.demo").joinpath("bundles/01-township-general-21.json")
    videos = _videos(40)
    tally = load.Tally()
    commands: list[Any] = []
    started = datetime.now(UTC)
    with running(envs, logs=tmp_path) as ports:
        officer, reviewer = load.Person(tally, ports), load.Person(tally, ports)
        officer.sign_in("zhangwei", PASSWORD)
        reviewer.sign_in("zhaomin", PASSWORD)
        station = load.Person(tally, ports, token=county["token"])
        until = time.monotonic() + DURATION
        cases, people = county["cases"], county["officers"]
        work = [
            (load.record_acts, officer, cases, people, until),
            (load.decide_at_once, officer.twin(), reviewer, cases, until),
            (load.correct_at_once, officer.twin(), cases[0], until),
            (load.upload_twice, station, videos, until),
            (_commands, commands, envs, dock.parent, Path(str(bundle)), county["agency"]),
        ]
        errors = _run_all(work, DURATION + 120)
        assert not errors, errors
        slots, audits = _scheduled_once_settled(store, started)
    _check_answers(tally, tmp_path)
    _check_commands(commands)
    _check_tables(store, tally, county["cases"])
    assert [kind for kind, *_ in slots].count("fixity") >= 1, slots
    assert all(state == "done" and attempts == 1 for _, _, state, attempts in slots), slots
    assert audits == [kind for kind, *_ in slots].count("fixity"), (audits, slots)
    done = subprocess.run(
        [sys.executable, "-m", "liuhen", "verify", "--json"],
        env=envs[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _scheduled_once_settled(store: Store, since: datetime) -> tuple[list[Any], int]:
    """The scheduled jobs' rows (kind, slot, state, attempts) made since the nodes started,
    and the audits on the ledger since then, once every row has ended and each ended audit is
    on the ledger (a slot may begin during the load's last seconds: its run is waited for)."""
    jobs, events = t.jobs, t.ledger_events
    deadline = time.monotonic() + 45
    while True:
        with store.read() as conn:
            slots = conn.execute(
                select(jobs.c.kind, jobs.c.slot, jobs.c.state, jobs.c.attempts)
                .where(jobs.c.slot.is_not(None), jobs.c.created_at >= since)
                .order_by(jobs.c.kind, jobs.c.slot)
            ).all()
            audits = conn.execute(
                select(func.count()).where(
                    events.c.action == "integrity.fixity_checked", events.c.occurred_at >= since
                )
            ).scalar_one()
        made = [(kind, slot) for kind, slot, *_ in slots]
        assert len(made) == len(set(made)), slots  # one row a slot
        ended = all(state in ("done", "failed") for *_, state, _ in slots)
        done = sum(1 for kind, _, state, _ in slots if kind == "fixity" and state == "done")
        if (ended and audits == done) or time.monotonic() > deadline:
            return [tuple(row) for row in slots], int(audits)
        time.sleep(1)


def _check_answers(tally: load.Tally, logs: Path) -> None:
    assert not tally.failures, "\n".join(tally.failures)
    for log in sorted(logs.glob("node*.log")):
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text()[-4000:]
    assert tally.count("act", 303) >= 5, tally.answers
    for what, winner in (("decide", 303), ("correct", 303)):
        pairs = tally.races.get(what, [])
        assert len(pairs) >= 2, (what, tally.answers)
        for pair in pairs:
            assert sorted(a.status == winner for a in pair) == [False, True], (what, pair)
    uploads = tally.races.get("upload", [])
    assert len(uploads) >= 2, tally.answers
    for pair in uploads:
        results = sorted(a.headers.get("liuhen-result", str(a.status)) for a in pair)
        assert results == ["duplicate", "new"], pair


def _check_commands(commands: list[Any]) -> None:
    imports_av, imports = commands
    for code, out, err in imports_av + imports:  # done, or refused in one line (a conflict)
        assert code == 0 or len(err.strip().splitlines()) == 1, (code, out, err)
        assert "Traceback" not in err, err
    reports = [json.loads(out) for code, out, _ in imports_av if code == 0]
    new = sum(1 for r in reports for f in r["files"] if f["status"] == "new")
    assert new == 3, reports  # the folder's three segments, stored once between the two
    created = [
        item["created"]
        for code, out, _ in imports
        if code == 0
        for item in json.loads(out)["imported"]
    ]
    assert created.count(True) == 1, imports  # the case imported once
    assert [code for code, _, _ in imports] == [0, 0], imports  # the other: "already there"


def _check_tables(store: Store, tally: load.Tally, cases: list[str]) -> None:
    steps, records, files = t.approval_steps, t.records, t.record_files
    with store.read() as conn:
        decided = conn.execute(  # the legal reviews asked for: the handler's step, one decision
            select(steps.c.approval_id)
            .join(t.approvals, t.approvals.c.id == steps.c.approval_id)
            .where(t.approvals.c.case_id.in_(cases), steps.c.role != "handler")
            .group_by(steps.c.approval_id)
            .having(func.count() > 1)
        ).all()
        forked = conn.execute(
            select(records.c.supersedes_id)
            .where(records.c.supersedes_id.is_not(None))
            .group_by(records.c.supersedes_id)
            .having(func.count() > 1)
        ).all()
        twice = conn.execute(
            select(files.c.blob_sha256)
            .join(records, records.c.id == files.c.record_id)
            .where(
                records.c.kind == "av",
                records.c.supersedes_id.is_(None),
                files.c.role == "segment",
            )
            .group_by(files.c.blob_sha256)
            .having(func.count() > 1)
        ).all()
        chain = conn.execute(
            select(func.max(records.c.version)).where(records.c.title == "情况说明")
        ).scalar()
    assert decided == [] and forked == [] and twice == [], (decided, forked, twice)
    assert chain == 1 + len(tally.races["correct"])  # every race added one version
