"""``liuhen detect-faces RECORD`` (issue 17): faces in an AV record's video found ahead of a
party's copy, with progress on stderr, once per file: a second run reads nothing, and a
later version of the record with the same file takes the scan without decoding it again.
Bad input is one line and exit 2; nothing is saved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from tests.conftest import ADMIN_PASSWORD
from tests.footage_case import footage_case
from tests.helpers import SYSTEM, run_cli

from liuhen.services.access.footage_review import footage_review
from liuhen.services.av.versions import revise_av
from liuhen.store import tables as t
from liuhen.store.store import Store


def scans(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(t.face_scans)).mappings()]


def test_detect_faces_scans_each_file_once_with_progress(sqlite_settings, clock, tmp_path):
    from liuhen.services.admin.setup import initialise

    clock.now = datetime(2026, 11, 20, 11, 0, tzinfo=sqlite_settings.tz)
    initialise(sqlite_settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(sqlite_settings, clock=clock)
    try:
        made = footage_case(store, tmp_path)
        record, head = made["av"], made["head"].actor
        with store.read() as conn:
            unlinked, text_record = (
                conn.execute(select(t.records.c.supersedes_id).where(t.records.c.id == record))
                .scalar_one(),
                conn.execute(select(t.records.c.id).where(t.records.c.kind == "text"))
                .scalars().first(),
            )  # fmt: skip
        later = revise_av(store, SYSTEM, record, changes={"custodian": "陈丹"}, reason="补记保管人")
        cli = ["--data-dir", str(sqlite_settings.data_dir), "--as", "liuzhang", "detect-faces"]

        for bad, says in (
            ("NO-SUCH", "RECORD: 没有编号为 NO-SUCH 的记录"),
            (text_record, "不是音像记录"),
            (unlinked, "尚未关联案件"),
        ):
            result = run_cli([*cli, bad])
            assert result.code == 2 and says in result.err and result.err.count("\n") == 1
        assert scans(store) == []

        first = run_cli([*cli, record])
        assert first.code == 0, first.err
        assert "检测人脸：0%" in first.err and "检测人脸：100%" in first.err
        assert "人脸 1 处，已检测" in first.out and "新发现人脸 1 处" in first.out
        again = run_cli([*cli, record, "--json"])
        assert again.code == 0 and '"status": "done"' in again.out
        assert '"new_faces": 0' in again.out
        same = run_cli([*cli, later])  # the same bytes: the scan is copied, not redone
        assert same.code == 0 and "同一文件已检测过" in same.out, same.err
        kept = scans(store)
        assert [s["record_id"] for s in kept] == [record, later]
        assert kept[1]["details"]["copied_from"] == kept[0]["id"]
        assert kept[1]["proposals"] == kept[0]["proposals"]

        # the copy request registered before the scan is shown the proposal at once
        review = footage_review(store, head, made["request"], record, log=False)
        assert review.scanned and [m.proposed for m in review.marks] == [True]
    finally:
        store.close()
