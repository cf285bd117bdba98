"""Jobs run once per cluster (issue 14 item 4), with two app instances on one database as
two nodes (each its own engine and job runner), on SQLite and PostgreSQL:

- an export asked on one node shows its progress on the other; the node that took it dies
  (its lease runs out) and the other node's runner retries it; the file is downloaded, and
  after the retention period the scheduled cleanup removes it and the download says so;
- the scheduled fixity audit: both serving nodes make the slot's row, one insert wins, and
  the audit runs once a slot; a node without the schedule makes none.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import make_user
from tests.helpers import make_case_with_files, web_login

from liuhen.services.archiving.export_jobs import job_dir, job_key
from liuhen.services.archiving.fixity import ACTION
from liuhen.store import job_rows
from liuhen.store import tables as t
from liuhen.store.store import Store
from liuhen.web.app import create_app

PASSWORD = "Cluster-pass-2026"


@pytest.fixture
def node(store: Store) -> Iterator[Callable[..., Any]]:
    """``node(**create_app options)``: an app instance of its own (its own engine, pool and
    job runner) on the store's database, as another node would be."""
    opened: list[Store] = []

    def make(**options: Any) -> Any:
        opened.append(Store.open(replace(store.settings), clock=store.clock))
        return create_app(store.settings, store=opened[-1], **options)

    yield make
    for each in opened:
        each.close()


def _client(app: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    assert web_login(client, username, PASSWORD).status_code == 303
    return client


def test_an_export_is_seen_everywhere_retried_after_its_node_died_then_expires(
    store: Store, node: Callable[..., Any], tmp_path: Any
) -> None:
    made = make_case_with_files(store, tmp_path)
    make_user(store, "keeper", "custodian", agency_id=made["agency"], password=PASSWORD)
    a, b = node(), node()
    a.state.jobs.stop()  # node a takes no job itself: a dying node below does
    web_a = _client(a, "keeper")
    web_b = TestClient(b, base_url="http://127.0.0.1", cookies=web_a.cookies)  # one session
    case = made["case"]
    asked = web_a.post(f"/api/cases/{case}/exports?kind=case_file").json()
    dying = job_rows.claim(store.engine, store.clock(), "node-x", timedelta(minutes=2), ["export"])
    assert dying is not None and dying["key"] == job_key(asked["id"])
    job_rows.report(store.engine, dying, 0.42, "生成案卷 PDF", store.clock() + timedelta(minutes=2))
    [seen] = web_b.get(f"/api/cases/{case}/exports").json()["jobs"]
    assert (seen["state"], seen["percent"], seen["step"]) == ("running", 42, "生成案卷 PDF")
    assert "生成案卷 PDF 42%" in web_b.get(f"/cases/{case}").text

    assert not b.state.jobs.run_one()  # node-x holds its lease
    store.clock.advance(minutes=3)  # node-x wrote nothing since: it died
    assert b.state.jobs.run_one()
    view = b.state.jobs.get(job_key(asked["id"]))
    assert view.state == "done" and view.attempts == 2 and view.node == b.state.jobs.node
    [done] = web_a.get(f"/api/cases/{case}/exports").json()["jobs"]
    assert done["state"] == "done" and done["expires_at"]
    link = f"/cases/{case}/exports/{asked['id']}/download"
    assert web_a.get(link).content.startswith(b"%PDF")

    store.clock.advance(hours=store.settings.export_retention_hours + 1)
    web_b = _client(b, "keeper")  # the session ended meanwhile
    gone = web_b.get(link)
    assert gone.status_code == 410 and "导出的文件已过期" in gone.text, gone.text
    assert "文件已过期删除" in web_b.get(f"/cases/{case}").text
    cleanup = b.state.jobs
    assert cleanup.make_scheduled() == 2  # export_cleanup, job_cleanup
    assert cleanup.run_one() and cleanup.run_one() and not cleanup.run_one()
    assert not job_dir(store.settings, asked["id"]).exists()
    b.state.jobs.stop()  # (the new job is not made here)
    again = web_b.post(f"/api/cases/{case}/exports?kind=case_file").json()
    assert again["id"] != asked["id"] and again["attempt"] == 2  # asked again: made anew
    assert again["state"] == "queued"


def _audits(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        query = select(t.ledger_events).where(t.ledger_events.c.action == ACTION)
        return [dict(r) for r in conn.execute(query).mappings()]


def _slots(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return job_rows.of_kind(conn, "fixity")


def _settle(store: Store, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        slots = _slots(store)
        if len(slots) == count and all(s["state"] == "done" for s in slots):
            return slots
        time.sleep(0.05)
    raise AssertionError(_slots(store))


def test_the_scheduled_fixity_audit_runs_once_a_slot_on_one_of_two_nodes(
    store: Store, node: Callable[..., Any], tmp_path: Any
) -> None:
    made = make_case_with_files(store, tmp_path)
    store.clock.advance(days=store.settings.fixity_cycle_days + 1)  # the blob is now due
    a, b = node(fixity_interval=3600), node(fixity_interval=3600)
    with TestClient(a), TestClient(b):  # both serve: both runners make the slot's row
        [first] = _settle(store, 1)
        store.clock.advance(hours=1)
        a.state.jobs.wake()
        b.state.jobs.wake()
        slots = _settle(store, 2)
    assert not a.state.jobs.alive and not b.state.jobs.alive
    assert slots[1]["slot"] - first["slot"] == timedelta(hours=1)
    audits = _audits(store)
    assert len(audits) == 2, audits  # one audit a slot, whichever node ran it
    assert audits[0]["payload"]["checked"] == [made["blob"]]
    assert audits[0]["actor_label"].startswith("定期复核")
    assert audits[1]["payload"]["checked"] == []  # nothing was due any more
    plain = node()
    assert [s.kind for s in plain.state.jobs.schedules] == ["export_cleanup", "job_cleanup"]
    assert plain.state.jobs.make_scheduled() == 0  # this hour's cleanup is made already
    assert re.match(r".+:\d+:[0-9a-f]{6}$", plain.state.jobs.node)
