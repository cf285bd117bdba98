"""审查录像遮盖 through the pages (SQLite and PostgreSQL), on footage of a real face: the head
opens the video's review from the request, starts the face detection (a background job whose
progress the page shows), sees the face on the timeline and over the picture, removes it
(it is the party's own), adds a box and a muted range with reasons, approves in the inbox,
and the party's link delivers the redacted video, never the original; a mute without a reason
and a time that is not a number are refused beside their fields, nothing saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.footage_case import footage_case
from tests.web.test_web_access_requests import send, signed_in

from liuhen.services.access.copy_jobs import copy_key
from liuhen.store import tables as t
from liuhen.web.access.footage import job_keys
from liuhen.web.app import create_app


@pytest.fixture
def office(store, clock, tmp_path) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    clock.now = datetime(2026, 11, 20, 11, 0, tzinfo=store.settings.tz)
    made = footage_case(store, tmp_path)
    app = create_app(store.settings, store=store)
    with TestClient(app):  # the app's lifespan: its background worker
        yield {**made, "app": app, "head": signed_in(app, "liuzhang")}


def count(store: Any, table: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def files_of(store: Any, record_id: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(select(t.record_files).where(t.record_files.c.record_id == record_id))
        return [dict(r) for r in rows.mappings()]


def test_the_head_reviews_the_footage_approves_and_the_link_gives_the_redacted_video(office, store):
    head, case, record, rid = office["head"], office["case"], office["av"], office["request"]
    jobs = office["app"].state.jobs
    request_url = f"/cases/{case}/access-requests/{rid}"
    page = head.get(request_url)
    review_url = f"{request_url}/footage/{record}"
    assert f'href="{review_url}"' in page.text and "尚未检测人脸" in page.text
    review = head.get(review_url)
    assert review.status_code == 200 and 'id="detect"' in review.text

    started = send(head, f"{review_url}/detect", {})
    assert started.status_code == 303
    detect_key, render_key = job_keys(rid, record)
    assert jobs.wait(detect_key, timeout=120).state == "done"
    review = head.get(review_url)
    assert "识别出 1 张人脸" in review.text and 'class="cover-box moving"' in review.text
    assert re.search(r'href="#mark-1"[^>]*><rect class="bar cover proposed"', review.text)
    assert "尚未审查，审查前不能批准" in head.get(request_url).text

    form = {"add.file": "1", "add.start": "0", "add.end": "1.5", "add.x": "60", "add.y": "10",
            "add.w": "20", "add.h": "30", "add.kind": "plate", "add.ground": "privacy",
            "add.reason": "路边他人车辆的号牌", "mute.file": "1", "mute.start": "0.5",
            "mute.end": "1", "mute.ground": "privacy"}  # fmt: skip
    # m1 (the face, the party's own) is not kept: no m1.keep
    bad = send(head, review_url, {**form, "mute.reason": "", "add.h": "三十"})
    assert bad.status_code == 400 and "本次未保存任何内容" in bad.text
    assert re.search(r'id="field-add-h".*?请填写画面位置的百分数', bad.text, re.S)
    assert count(store, t.redactions) == 0
    bad = send(head, review_url, {**form, "mute.reason": ""})
    assert bad.status_code == 400
    assert re.search(r'id="field-mute-reason".*?第 2 处静音须写明理由', bad.text, re.S)

    done = send(head, review_url, {**form, "mute.reason": "旁人说出自己的住址"})
    assert done.status_code == 303, done.text
    assert jobs.wait(render_key, timeout=120).state == "done"
    page = head.get(done.headers["location"])
    assert "第 1 版" in page.text and "1 处画面遮盖，1 处静音" in page.text
    assert "遮盖后的视频已制作完成" in page.text
    with store.read() as conn:
        marks = conn.execute(select(t.redactions.c.marks)).scalar_one()
        derived = conn.execute(select(t.redacted_footage.c.derived_id)).scalar_one()
    assert [m["type"] for m in marks] == ["cover", "mute"] and marks[0]["kind"] == "plate"
    assert marks[0]["box"] == [6000, 1000, 2000, 3000] and marks[1]["end"] == 1000

    inbox = head.get("/approvals")
    approval_id = re.search(r'action="/approvals/([0-9a-f]+)/decide"', inbox.text).group(1)
    ok = send(head, f"/approvals/{approval_id}/decide",
              {"position": "head", "decision": "approved", "opinion": "同意", "final": "1"})  # fmt: skip
    assert ok.status_code == 303, ok.text
    assert jobs.wait(copy_key(office["request"]), timeout=120).state == "done"  # the copies
    issued = send(signed_in(office["app"], "zhangsan"), f"{request_url}/link", {})
    url = re.search(r'id="share-url" value="([^"]+)"', issued.text).group(1)
    party = TestClient(office["app"], base_url="http://127.0.0.1")
    shown = party.get(url.removeprefix("http://127.0.0.1"))
    assert "_复制件（遮盖）.mp4" in shown.text
    video = party.get(url.removeprefix("http://127.0.0.1") + "/files/1").content
    [redacted] = files_of(store, derived)
    [original] = files_of(store, record)
    with store.blobs.open(redacted["blob_sha256"]) as f:
        assert video == f.read()
    with store.blobs.open(original["blob_sha256"]) as f:
        assert video != f.read()
