"""A party's copies made once per cluster (issue 14): four processes granting one copy
request at once make one decision and queue one job with it; four nodes' runners taking the
waiting jobs at once make each copy once; "制作复制件" asked by four at once after a failure
queues one job. SQLite and PostgreSQL, the store verifies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from liuhen.services.access.requests import register_request
from liuhen.services.approvals.queries import inbox
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.files import store_file
from liuhen.services.cases.records import AttachedFile, add_record
from liuhen.store import job_rows
from liuhen.store import tables as t
from tests.concurrency import job_ops, ops
from tests.factories import make_case_with_files, make_user
from tests.helpers import SYSTEM

REQUESTER = {"name": "王某", "id_type": "resident_id", "id_number": "11010519491231002X",
             "relation": "party", "phone": "13800000000"}  # fmt: skip
REQUEUE = "liuhen.services.access.copy_jobs:requeue_copies"


def count(store: Any, table: Any, *where: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def copy_jobs(store: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return job_rows.of_kind(conn, "party_copy")


def test_a_copy_request_granted_and_made_by_four_processes_at_once_is_made_once(
    store, racers, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ids = make_case_with_files(store, tmp_path)
    clerk = make_user(store, "zhangsan", "officer", agency_id=ids["agency"], officer_id=ids["o1"])
    head = make_user(store, "liuzhang", "head", agency_id=ids["agency"])
    odd = tmp_path / "现场照片.zip"  # no visible mark fits it: its copy fails
    odd.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    stored = store_file(store, SYSTEM, odd)
    zipped = add_record(
        store, SYSTEM, case_id=ids["case"], act_id=None, kind="text", doc_kind="inquiry_record",
        title="询问笔录附件", details={"made_at": store.clock().isoformat(), "officer_ids": []},
        files=[AttachedFile(stored.sha256, odd.name, "application/zip")],
    )  # fmt: skip
    rid = register_request(
        store, clerk.actor, case_id=ids["case"], kind="copy", requester=REQUESTER,
        record_ids=[ids["record"], zipped], purpose="诉讼",
    )  # fmt: skip
    [waiting] = inbox(store, head.actor)

    granted = racers.race(store, ops.decide, head.actor, waiting.id)
    assert granted.codes == {"ok": 1, "conflict": 3}, granted
    assert [j["state"] for j in copy_jobs(store)] == ["queued"]  # with the one decision
    assert count(store, t.records, t.records.c.kind == "copy") == 0  # the decision made none

    ran = racers.race(store, job_ops.run_waiting)
    assert ran.codes == {"ok": 4} and sum(int(v) for v in ran.values()) == 1, ran
    [job] = copy_jobs(store)
    assert job["state"] == "failed" and "询问笔录附件" in job["error"], job
    assert count(store, t.records, t.records.c.kind == "copy") == 1  # the PDF's copy, once

    asked = racers.race(store, ops.call, REQUEUE, clerk.actor, rid)
    assert sorted(asked.values()) == ["False"] * 3 + ["True"], asked  # one job queued again
    assert sorted(j["state"] for j in copy_jobs(store)) == ["failed", "queued"]
    again = racers.race(store, job_ops.run_waiting)
    assert sum(int(v) for v in again.values()) == 1, again
    assert count(store, t.records, t.records.c.kind == "copy") == 1  # nothing made twice
    made = t.ledger_events.c.action == "access.copy_made"
    assert count(store, t.ledger_events, made) == 1
    assert verify(store, SYSTEM).ok
