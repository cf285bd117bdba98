"""One signed 评查表 per version: four reviewers scoring the same closed case at once, each
after the version they saw, make one new version; the others meet a conflict and nothing of
theirs is saved. Four re-scores after version 1 make version 2 once. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import select

from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.store import tables as t
from tests.concurrency import review_ops
from tests.helpers import SYSTEM

SCORES = {
    "subject-lawful": {"veto": False},
    "evidence-sufficient": {"deduct": 2, "note": "询问笔录未问及经营时间"},
    "law-applied": {"deduct": 0},
    "file-in-order": {"deduct": 0},
}


def closed_case(store: Any) -> str:
    text = (
        resources.files("liuhen.demo")
        .joinpath("bundles/02-township-general-22-av-late.json")
        .read_text("utf-8")
    )
    return import_bundle(store, SYSTEM, json.loads(text)).case_id


def versions(store: Any, case_id: str) -> list[tuple[int, str | None]]:
    r = t.case_reviews
    with store.read() as conn:
        rows = conn.execute(
            select(r.c.version, r.c.supersedes_id)
            .where(r.c.case_id == case_id)
            .order_by(r.c.version)
        ).all()
    return [(v, s) for v, s in rows]


def signed_events(store: Any) -> list[int]:
    e = t.ledger_events
    with store.read() as conn:
        return [
            p["version"]
            for (p,) in conn.execute(select(e.c.payload).where(e.c.action == "case.reviewed"))
        ]


def test_four_reviewers_signing_one_case_at_once_make_one_version_each_round(store, racers) -> None:  # type: ignore[no-untyped-def]
    case_id = closed_case(store)
    each = [
        (
            SYSTEM,
            case_id,
            0,
            {**SCORES, "evidence-sufficient": {"deduct": i + 1, "note": f"第{i}人"}},
        )
        for i in range(4)
    ]
    first = racers.race_each(store, review_ops.sign, each)
    assert first.codes == {"ok": 1, "conflict": 3}, first
    assert first.values() == ["1"]
    assert all("评查表刚由" in m for m in first.values("conflict")), first
    assert versions(store, case_id) == [(1, None)]
    second = racers.race(store, review_ops.sign, SYSTEM, case_id, 1, SCORES)
    assert second.codes == {"ok": 1, "conflict": 3}, second
    [(_, none), (two, after_one)] = versions(store, case_id)
    assert none is None and two == 2 and after_one is not None
    assert sorted(signed_events(store)) == [1, 2]
    assert verify(store, SYSTEM).ok
