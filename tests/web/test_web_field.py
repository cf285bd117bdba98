"""Field work on a phone, through the web app: a bad signature payload (empty, nothing drawn,
not a PNG, too large) is refused with one Chinese message beside the signature box and
nothing saved; a refusal keeps its reason and the recording's time mark; a form's draft is
the writer's own, is not a record (no ledger event, not in the case), and the form's save
consumes it; another case's document is not signed through this case."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.helpers import SYSTEM, make_case_with_files, web_login
from tests.signature_png import signature_png

from liuhen.demo.documents import sample_document
from liuhen.documents.model import OfficerPresent
from liuhen.services.admin.users import add_user
from liuhen.services.cases.bundles import assemble_bundle
from liuhen.services.cases.documents import save_document
from liuhen.services.cases.records import add_record
from liuhen.store import tables as t
from liuhen.web.app import create_app

PASSWORD = "Officer-pass-2026"


def _to_sign(store: Any, made: dict[str, Any]) -> str:
    """A 现场检查笔录 of the case, saved to be signed on the screen (the party's line open)."""
    sample = sample_document("inspection_record")
    with store.read() as conn:
        roster = conn.execute(
            select(t.officers.c.name, t.officers.c.certificate_no).where(
                t.officers.c.id.in_([made["o1"], made["o2"]])
            )
        ).all()
    filled = replace(
        sample,
        agency="",
        officers=tuple(OfficerPresent(n, c) for n, c in roster),
        values={**sample.values, "inspectors": [n for n, _ in roster]},
        signatures=(),
    )
    saved = save_document(
        store, SYSTEM, case_id=made["case"], act_id=None, filled=filled, signing_on_screen=True
    )
    return saved.record_id


@pytest.fixture
def site(store: Any, tmp_path: Path) -> dict[str, Any]:
    made = make_case_with_files(store, tmp_path)
    for username, officer in (("zhangsan", made["o1"]), ("lisi", made["o2"])):
        add_user(
            store,
            SYSTEM,
            username=username,
            password=PASSWORD,
            display_name=username,
            roles=["officer"],
            agency_id=made["agency"],
            officer_id=officer,
        )
    start = store.clock() - timedelta(hours=1)
    av = add_record(
        store,
        SYSTEM,
        case_id=made["case"],
        act_id=None,
        kind="av",
        doc_kind="",
        title="现场执法录像",
        details={
            "device_id": "dev-1",
            "officer_id": made["o1"],
            "segments": [
                {"start": start.isoformat(), "end": (start + timedelta(minutes=10)).isoformat()}
            ],
        },
    )
    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    assert web_login(client, "zhangsan", PASSWORD).status_code == 303
    record = _to_sign(store, made)
    url = f"/cases/{made['case']}/records/{record}/sign"
    page = client.get(url)
    assert page.status_code == 200 and "当事人（在场人）签名" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return {**made, "client": client, "csrf": csrf.group(1), "url": url, "av": av, "doc": record}


def _count(store: Any, table: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _uri(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "签名为空：请在签名框内手写签名后再提交"),
        (_uri(signature_png(strokes=0)), "签名为空：请在签名框内手写签名后再提交"),
        (
            _uri(b"\xff\xd8\xff\xe0 a jpeg", "jpeg"),
            "签名图像应为签名框生成的 PNG 图片，收到的不是 PNG",
        ),
        (_uri(b"\x89PNG\r\n\x1a\n" + bytes(300 * 1024)), "签名图像过大（300 KB，上限 256 KB）"),
    ],
    ids=["empty", "nothing-drawn", "not-png", "too-large"],
)
def test_a_bad_signature_is_refused_with_one_message_beside_the_box_and_nothing_saved(
    site: dict[str, Any], store: Any, payload: str, message: str
) -> None:
    events, records = store.event_count(), _count(store, t.records)
    response = site["client"].post(
        site["url"],
        data={"csrf": site["csrf"], "slot": "party-1", "name": "李建华", "mode": "sign",
              "signature": payload},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.text.count(message) == 1
    assert re.search(r'class="field-error">' + re.escape(message), response.text)
    assert "签名未保存" in response.text
    assert store.event_count() == events and _count(store, t.records) == records
    assert _count(store, t.hand_signatures) == 0


def test_a_refusal_is_kept_with_its_reason_and_the_recording_time_mark(
    site: dict[str, Any], store: Any
) -> None:
    response = site["client"].post(
        site["url"],
        data={"csrf": site["csrf"], "slot": "party-1", "name": "李建华", "mode": "refuse",
              "reason": "当事人称不认可检查结果", "witness": "王五（社区网格员）",
              "av_record": site["av"], "av_offset": "03:15"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text[-2000:]
    assert response.headers["location"].endswith("/sign?saved=2")
    with store.read() as conn:
        row = conn.execute(select(t.hand_signatures)).mappings().one()
    assert row["refused"] and row["details"]["av_record_id"] == site["av"]
    assert row["details"]["av_offset_seconds"] == 195
    page = site["client"].get(response.headers["location"])
    assert "李建华拒绝签名：当事人称不认可检查结果" in page.text


def test_a_refusal_outside_the_recording_names_the_time_field(
    site: dict[str, Any], store: Any
) -> None:
    response = site["client"].post(
        site["url"],
        data={"csrf": site["csrf"], "slot": "party-1", "name": "李建华", "mode": "refuse",
              "reason": "拒绝", "av_record": site["av"], "av_offset": "12:00"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "时间点超出该录像的长度（00:10:00）" in response.text
    assert _count(store, t.hand_signatures) == 0


def test_a_draft_is_the_writers_own_not_a_record_and_the_save_consumes_it(
    site: dict[str, Any], store: Any
) -> None:
    client, case = site["client"], site["case"]
    url = f"/cases/{case}/drafts?form=act"
    headers = {"X-CSRF-Token": site["csrf"]}
    fields = [["kind", "inspection"], ["place", "东街7号门前"], ["note", "信号弱，先存草稿"]]
    events = store.event_count()
    saved = client.put(url, json={"fields": fields}, headers=headers)
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    assert client.put(url, json={"fields": fields}, headers=headers).json()["revision"] == 2
    assert store.event_count() == events  # not a record: nothing on the ledger
    assert "信号弱" not in str(assemble_bundle(store, case))  # nor in the case
    got = client.get(url).json()
    assert got["found"] and ["place", "东街7号门前"] in got["fields"]
    other = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    assert web_login(other, "lisi", PASSWORD).status_code == 303
    assert other.get(url).json() == {"found": False}  # the writer's own
    refused = client.put(url, json={"fields": "不是列表"}, headers=headers)
    assert refused.status_code == 400 and "草稿应为" in refused.text
    start = (store.clock() - timedelta(minutes=20)).astimezone(store.settings.tz)
    done = client.post(
        f"/cases/{case}/acts/new",
        data={"csrf": site["csrf"], "kind": "inspection", "place": "东街7号门前",
              "started_at": start.strftime("%Y-%m-%dT%H:%M"), "officer_ids": [site["o1"], site["o2"]],
              "certificates_shown": "yes", "draft_key": "act"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text[-1500:]
    assert client.get(url).json() == {"found": False}
    assert _count(store, t.form_drafts) == 0


def test_another_cases_document_is_not_signed_through_this_case(
    site: dict[str, Any], store: Any, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other = make_case_with_files(store, tmp_path / "other", number="测试〔2026〕2号")
    foreign = _to_sign(store, other)
    response = site["client"].get(f"/cases/{site['case']}/records/{foreign}/sign")
    assert response.status_code == 404


def test_a_correction_of_a_signed_document_asks_for_the_handwriting_again(
    site: dict[str, Any], store: Any
) -> None:
    png = _uri(signature_png())
    signed = site["client"].post(
        site["url"],
        data={"csrf": site["csrf"], "slot": "party-1", "name": "李建华", "mode": "sign",
              "signature": png},
        follow_redirects=False,
    )  # fmt: skip
    assert signed.status_code == 303
    version = signed.headers["location"].split("/records/")[1].split("/")[0]
    form = site["client"].get(f"/cases/{site['case']}/records/{version}/correct").text
    assert not re.search(r'name="sig-\d+-name" value="李建华"', form)  # not carried over
    assert re.search(r'name="sign_on_screen" value="1" checked', form)
    assert "须对补正后的文书重新签署" in form


def test_a_refusal_naming_another_cases_recording_is_refused_and_nothing_saved(
    site: dict[str, Any], store: Any, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other = make_case_with_files(store, tmp_path / "other", number="测试〔2026〕3号")
    start = store.clock() - timedelta(hours=2)
    foreign = add_record(
        store,
        SYSTEM,
        case_id=other["case"],
        act_id=None,
        kind="av",
        doc_kind="",
        title="另案录像",
        details={
            "device_id": "dev-2",
            "officer_id": other["o1"],
            "segments": [{"start": start.isoformat(), "end": store.clock().isoformat()}],
        },
    )
    events = store.event_count()
    response = site["client"].post(
        site["url"],
        data={"csrf": site["csrf"], "slot": "party-1", "name": "李建华", "mode": "refuse",
              "reason": "拒绝", "av_record": foreign, "av_offset": "00:30"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "所选音像记录不属于本案，请从列表中选择" in response.text
    assert "测试〔2026〕3号" not in response.text and "另案录像" not in response.text
    assert store.event_count() == events and _count(store, t.hand_signatures) == 0
