"""Two approvers confirming the same footage redaction at once (issue 17 item 2): one
version of the marks and one redacted video, a derived record made once, whichever process
finishes its encoding first (uq_redacted_footage_redaction, the request locked first).
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import footage_ops
from tests.factories import make_user
from tests.footage_case import footage_case
from tests.helpers import SYSTEM

PLATE = {"type": "cover", "file": 1, "start": 0, "end": 1500, "box": [6000, 1000, 2000, 3000],
         "kind": "plate", "ground": "privacy", "reason": "路边他人车辆的号牌"}  # fmt: skip
MUTE = {"type": "mute", "file": 1, "start": 500, "end": 1000, "ground": "privacy",
        "reason": "旁人说出自己的住址"}  # fmt: skip


def count(store: Any, table: Any, *where: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def test_two_approvers_confirming_one_footage_redaction_make_one_redacted_video(
    store, racers, clock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    clock.now = datetime(2026, 11, 20, 11, 0, tzinfo=store.settings.tz)
    made = footage_case(store, tmp_path)
    deputy = make_user(store, "wangfu", "head", agency_id=made["agency"], display_name="王副局长")
    args = (made["request"], made["av"], [PLATE, MUTE])
    results = racers.race_each(
        store,
        footage_ops.confirm_and_render,
        [(made["head"].actor, *args), (deputy.actor, *args)],
    )
    assert results.codes == {"ok": 2}, results
    assert count(store, t.redactions) == 1
    assert count(store, t.redacted_footage) == 1
    assert count(store, t.records, t.records.c.kind == "redacted") == 1
    with store.read() as conn:
        derived = conn.execute(select(t.redacted_footage.c.derived_id)).scalar_one()
    assert set(results.values()) == {repr(derived)}, results  # both got the one video
    assert verify(store, SYSTEM).ok
