"""审查遮盖 through the pages (SQLite and PostgreSQL): the head opens a document's review from
the request, removes one proposed mark, adds one with a reason, approves in the inbox, and
the party's link delivers the copy without the words; a mark without a reason or words not
in the document are refused beside their field, nothing saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from tests.redaction_case import REQUESTER, T0, THIRD_ADDRESS, THIRD_ID, THIRD_PHONE, setup_case
from tests.web.test_web_access_requests import send, signed_in

from liuhen.services.access.copy_jobs import copy_key
from liuhen.services.access.requests import register_request
from liuhen.store import tables as t
from liuhen.web.app import create_app


@pytest.fixture
def office(store, clock) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    clock.now = T0 + timedelta(hours=2)
    made = setup_case(store)
    rid = register_request(
        store,
        made["clerk"],
        case_id=made["case"],
        kind="copy",
        requester=REQUESTER,
        record_ids=[made["saved"].record_id],
        purpose="申请行政复议需要",
    )
    app = create_app(store.settings, store=store)
    yield {**made, "request": rid, "app": app, "head": signed_in(app, "liuzhang")}


def rows(store: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.redactions)).scalar_one())


def test_the_head_reviews_the_marks_approves_and_the_link_gives_the_redacted_copy(office, store):
    head, case, record = office["head"], office["case"], office["saved"].record_id
    request_url = f"/cases/{case}/access-requests/{office['request']}"
    page = head.get(request_url)
    assert "尚未审查，审查前不能批准" in page.text
    review_url = f"{request_url}/redactions/{record}"
    assert f'href="{review_url}"' in page.text
    review = head.get(review_url)
    assert review.status_code == 200 and "系统识别出" in review.text
    numbers = {  # mark number -> the words it covers, as the page lists them
        int(n): words
        for n, words in re.findall(
            r'<span class="mono">〔(\d+)〕</span><span class="words">([^<]+)</span>', review.text
        )
    }
    assert THIRD_ID in numbers.values() and THIRD_PHONE in numbers.values()
    address = next(n for n, w in numbers.items() if w == THIRD_ADDRESS)
    form = {
        f"m{n}.{f}": v
        for n in numbers
        for f, v in re.findall(
            rf'name="m{n}\.(kind|ground|reason)"[^>]*value="([^"]*)"', review.text
        )
    }
    for n in numbers:
        chosen = re.search(
            rf'name="m{n}\.(kind)">(.*?)</select>.*?name="m{n}\.(ground)">(.*?)</select>',
            review.text,
            re.S,
        )
        assert chosen is not None
        for key, options in (
            (chosen.group(1), chosen.group(2)),
            (chosen.group(3), chosen.group(4)),
        ):
            form[f"m{n}.{key}"] = re.search(r'value="([^"]+)" selected', options).group(1)
        form[f"m{n}.keep"] = "1"
    del form[f"m{address}.keep"]  # the head removes the address

    bad = send(head, review_url, {**form, "add.text": "县医院", "add.kind": "other",
                                  "add.ground": "privacy", "add.reason": ""})  # fmt: skip
    assert bad.status_code == 400 and "本次未保存任何内容" in bad.text
    assert "须写明理由" in bad.text and rows(store) == 0
    missing = send(head, review_url, {**form, "add.text": "不在文书里的字", "add.reason": "x"})
    assert missing.status_code == 400 and "文书中找不到“不在文书里的字”" in missing.text

    done = send(head, review_url, {**form, "add.text": "县医院", "add.kind": "other",
                                   "add.ground": "privacy", "add.reason": "第三人的工作单位"})  # fmt: skip
    assert done.status_code == 303, done.text
    assert rows(store) == 1
    page = head.get(done.headers["location"])
    assert "遮盖内容已确认" in page.text and "第 1 版" in page.text

    inbox = head.get("/approvals")
    assert "查看申请、审查复制件遮盖" in inbox.text
    approval_id = re.search(r'action="/approvals/([0-9a-f]+)/decide"', inbox.text).group(1)
    ok = send(head, f"/approvals/{approval_id}/decide",
              {"position": "head", "decision": "approved", "opinion": "同意", "final": "1"})  # fmt: skip
    assert ok.status_code == 303, ok.text
    made = office["app"].state.jobs.wait(copy_key(office["request"]), timeout=120)
    assert made.state == "done", made  # the copies: the cluster's job, woken by the decision
    assert "复制件制作：已完成" in head.get(request_url).text
    issued = send(signed_in(office["app"], "zhangjg"), f"{request_url}/link", {})
    url = re.search(r'id="share-url" value="([^"]+)"', issued.text).group(1)
    party = TestClient(office["app"], base_url="http://127.0.0.1")
    shown = party.get(url.removeprefix("http://127.0.0.1"))
    assert "询问笔录_复制件（遮盖）.pdf" in shown.text
    pdf = party.get(url.removeprefix("http://127.0.0.1") + "/files/1").content
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert THIRD_ID not in text and THIRD_PHONE not in text and "县医院" not in text
    assert THIRD_ADDRESS in text and "遮盖说明" in text and "第三人的工作单位" in text
