"""案卷评查表 through the pages (SQLite and PostgreSQL): the supervisor opens a closed case's
sheet from its page, each deduction links to its finding there, scores the manual lines and
signs; the total and the version change; a wrong score is refused beside its field with
nothing saved; an officer sees the sheet but no form and cannot post one; the yearly figures
by section and officer count the signed scores."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.helpers import web_login

from liuhen.store import tables as t
from liuhen.web.app import create_app

LATE = "示镇综执罚〔2026〕22号"


def client_of(app: Any, demo: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    done = web_login(client, username, demo.accounts[username])
    assert done.status_code == 303, done.text
    client.csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text).group(1)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def office(private_demo) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    app = create_app(private_demo.store.settings, store=private_demo.store)
    yield {
        "store": private_demo.store,
        "supervisor": client_of(app, private_demo, "sunjd"),
        "officer": client_of(app, private_demo, "zhaokz"),  # 科室负责人: reads, does not score
    }


def signed(store: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.case_reviews)).scalar_one())


FORM = {
    "seen": "0",
    "evidence-sufficient.deduct": "3",
    "evidence-sufficient.note": "询问笔录未问及违法所得",
    "law-applied.deduct": "0",
    "file-in-order.deduct": "0.5",
    "file-in-order.note": "卷内目录缺页号",
}


def test_the_supervisor_scores_and_signs_a_closed_case_from_its_page(office):
    sup, store = office["supervisor"], office["store"]
    case_page = sup.get(f"/cases/{LATE}")
    found = re.search(r'href="(/cases/([^/"]+)/review)" id="case-review"', case_page.text)
    assert found is not None
    url, case_id = found.group(1), found.group(2)
    page = sup.get(url)
    assert page.status_code == 200 and 'id="review-form"' in page.text
    assert '<span class="big">99</span>' in page.text and "尚有 4 项待评查人评分" in page.text
    [link] = re.findall(rf'<a href="/cases/{case_id}#(f-av-upload-deadline-[^"]+)"', page.text)
    assert f'id="{link}"' in case_page.text  # the deduction's finding, on the case page
    done = sup.post(url, data={**FORM, "csrf": sup.csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("/review?saved=1")
    page = sup.get(done.headers["location"])
    assert "已签名保存为第 1 版" in page.text and '<span class="big">95.5</span>' in page.text
    assert "询问笔录未问及违法所得（扣 3 分）" in page.text and "评查人：孙建东" in page.text
    again = sup.post(url, data={**FORM, "csrf": sup.csrf}, follow_redirects=False)
    assert again.status_code == 409 and "评查表刚由孙建东签名为第 1 版" in again.text
    assert signed(store) == 1
    pdf = sup.get(url + ".pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = sup.get(url + ".xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")


def test_a_wrong_score_is_named_beside_its_field_and_nothing_is_saved(office):
    sup, store = office["supervisor"], office["store"]
    url = sup.get(f"/cases/{LATE}/review").url
    bad = {**FORM, "law-applied.deduct": "20", "evidence-sufficient.note": "", "seen": "x"}
    page = sup.post(url, data={**bad, "csrf": sup.csrf}, follow_redirects=False)
    assert page.status_code == 400 and "本次未保存任何内容" in page.text
    assert "页面已过期" in page.text
    page = sup.post(url, data={**bad, "seen": "0", "csrf": sup.csrf}, follow_redirects=False)
    field = re.search(r'id="field-law-applied-deduct">.*?</div>', page.text, re.S)
    assert field is not None and "扣分须在 0 至 15 分之间" in field.group(0)
    note = re.search(r'id="field-evidence-sufficient-note">.*?</div>', page.text, re.S)
    assert note is not None and "扣分或否决须写明理由" in note.group(0)
    assert 'value="20"' in page.text  # the form keeps what was typed
    assert signed(store) == 0


def test_a_section_head_sees_the_sheet_but_cannot_sign_it(office):
    officer, store = office["officer"], office["store"]
    page = officer.get(f"/cases/{LATE}/review")
    assert page.status_code == 200 and 'id="review-form"' not in page.text
    refused = officer.post(page.url, data={**FORM, "csrf": officer.csrf}, follow_redirects=False)
    assert refused.status_code == 403
    assert signed(store) == 0
    still_open = officer.get("/cases/示镇申〔2026〕15号/review")
    assert "案件尚未结案" in still_open.text


def test_the_yearly_figures_count_each_section_and_officer(office):
    sup = office["supervisor"]
    url = sup.get(f"/cases/{LATE}/review").url
    sup.post(url, data={**FORM, "csrf": sup.csrf}, follow_redirects=False)
    page = sup.get("/reviews", params={"year": "2026"})
    assert page.status_code == 200 and "案卷评查统计（2026 年结案）" in page.text
    sections = re.search(r'id="stats-sections".*?</table>', page.text, re.S)
    assert sections is not None and "综合行政执法队" in sections.group(0)
    officers = re.search(r'id="stats-officers".*?</table>', page.text, re.S)
    assert officers is not None and "张伟" in officers.group(0)
    assert "95.5 分 · 优秀" in page.text and "不合格" in page.text
    assert sup.get("/reviews", params={"year": "二〇二六"}).status_code == 400
