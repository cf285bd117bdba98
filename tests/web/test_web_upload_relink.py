"""Sending footage again from the case page when it was stored without a case (issue 16 item
4, no dead ends): the upload finds the bytes stored, links that recording to the case (and
act) it was sent for and says so, instead of a bare "已存在"; sent a third time it says the
case holds it already. A phone's footage sent from the case page is linked whatever its
device, and a start time the file lacks is asked for before sending."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.test_web_uploads import (  # noqa: F401  (fixtures)
    after_the_act,
    bureau,
    create,
    officer,
    upload,
    video,
)

from liuhen.media.synthetic import make_video
from liuhen.services.av.queries.records import latest_version_id
from liuhen.store import tables as t


def test_footage_sent_from_the_case_page_is_never_left_unlinked(
    officer: TestClient,  # noqa: F811
    store: Any,
    bureau: dict[str, Any],  # noqa: F811
    video: bytes,  # noqa: F811
    tmp_path: Any,
) -> None:
    """Stored without a case, then sent again from the case: linked. A phone's video (no
    registered device) sent from the case page: linked, the officer's phone registered
    with it; with no start time in the file (the browser says so) nor in its name it is
    refused before a byte is sent, naming the field, and goes through with the time typed."""
    first = upload(officer, video, filename="DSJ-V9-0001_20261120090500.mp4",
                   device="DSJ-V9-0001", officer=bureau["certificate"])[1]["result"]  # fmt: skip
    assert first["status"] == "new" and not first.get("linked")
    again = upload(officer, video, filename="copy.mp4", case=bureau["case"], act=bureau["act"])
    result = again[1]["result"]
    assert result["status"] == "duplicate" and "现已关联本案" in result["reason"], result
    assert result["linked"] and result["case_id"] == bureau["case"]
    latest = latest_version_id(store, first["record_id"])
    with store.read() as conn:
        row = conn.execute(select(t.records).where(t.records.c.id == latest)).mappings().one()
    assert (row["case_id"], row["act_id"]) == (bureau["case"], bureau["act"])
    third = upload(officer, video, filename="again.mp4", case=bureau["case"])[1]["result"]
    assert third["status"] == "duplicate" and "并已关联本案" in third["reason"], third
    path = make_video(tmp_path / "VID_0001.mp4", seconds=1, width=96, height=64)
    phone = path.read_bytes()
    asked = create(officer, len(phone), filename="VID_0001.mp4", case=bureau["case"],
                   start_in_file="none")  # fmt: skip
    assert asked.status_code == 400 and "录制开始时间" in asked.json()["message"], asked.text
    assert "采集站清单" not in asked.json()["message"]
    named = create(officer, len(phone), filename="VID_20261120_090500.mp4", start_in_file="none")
    assert named.status_code == 201, named.text  # the name gives it
    result = upload(officer, phone, filename="VID_0001.mp4", case=bureau["case"],
                    act=bureau["act"], start_in_file="none",
                    recorded_start="2026-11-20T09:05:00+08:00")[1]["result"]  # fmt: skip
    assert result["status"] == "new" and result["linked"], result
    with store.read() as conn:
        row = conn.execute(select(t.records).where(t.records.c.id == result["linked"])).mappings()
        details = row.one()["details"]
        device = conn.execute(select(t.devices).where(t.devices.c.id == details["device_id"]))
        registered = device.mappings().one()
    assert registered["serial_no"] == f"手机-{bureau['certificate']}"
    assert registered["kind"] == "handheld_terminal"
