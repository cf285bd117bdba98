"""Sending footage again from the case page when it was stored without a case (issue 16 item
4, no dead ends): the upload finds the bytes stored, links that recording to the case (and
act) it was sent for and says so, instead of a bare "已存在"; sent a third time it says the
case holds it already."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.test_web_uploads import (  # noqa: F401  (fixtures)
    after_the_act,
    bureau,
    officer,
    upload,
    video,
)

from liuhen.services.av.queries.records import latest_version_id
from liuhen.store import tables as t


def test_footage_stored_without_a_case_is_linked_when_sent_again_from_the_case(
    officer: TestClient,  # noqa: F811
    store: Any,
    bureau: dict[str, Any],  # noqa: F811
    video: bytes,  # noqa: F811
) -> None:
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
