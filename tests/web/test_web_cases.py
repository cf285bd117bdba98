"""Case list with live findings and filters, the case page, and the bundle API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.factories import make_agency, make_user
from tests.helpers import SYSTEM, web_login

from liuhen.rules.sources.articles import quote
from liuhen.web.app import create_app

PASSWORD = "Officer-pass-2026"
EXAMPLE = (
    Path(__file__).resolve().parents[2] / "docs" / "examples" / "township-general-penalty.json"
)


@pytest.fixture
def demo_client(sqlite_demo):  # type: ignore[no-untyped-def]
    """The shared demo (these tests only read), its legal reviewer signed in."""
    yield from _signed_in_reviewer(sqlite_demo)


@pytest.fixture
def own_demo_client(tmp_path, demos):  # type: ignore[no-untyped-def]
    """A private copy of the demo, for a test that counts ledger events."""
    demo = demos.open(tmp_path / "demo")
    yield from _signed_in_reviewer(demo)
    demo.store.close()


def _signed_in_reviewer(demo):  # type: ignore[no-untyped-def]
    store = demo.store
    with TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1") as client:
        web_login(client, "wangfang", demo.accounts["wangfang"])
        yield client, store


def test_case_list_shows_findings_and_filters_by_them(demo_client):
    client, _ = demo_client
    page = client.get("/cases")
    assert "共 8 件" in page.text and "违规 1" in page.text  # the township's 8, not forestry's
    flawed = client.get("/cases", params={"problems": "violations"})
    assert "示镇综执罚〔2026〕22号" in flawed.text and "示镇综执罚〔2026〕21号" not in flawed.text
    coercion = client.get("/cases", params={"procedure": "coercion"})
    assert coercion.text.count("<tr>") == 1 + 2  # header + two coercive measures
    forestry = client.get("/cases", params={"procedure": "inspection"})
    assert "示林检" not in forestry.text  # another agency's inspections stay out of scope


def test_case_page_quotes_the_article_and_links_the_subject(own_demo_client):
    client, store = own_demo_client
    page = client.get("/cases/示镇综执罚〔2026〕22号")
    assert page.status_code == 200
    assert "002§31" in page.text
    quoted = quote("002§31")
    assert quoted and quoted[:40] in page.text
    anchor = re.search(r'<a href="#(record-[0-9a-f]+)">', page.text).group(1)
    assert f'id="{anchor}"' in page.text  # the finding links to the record on the timeline
    for stage in ("启动", "调查取证", "审查决定", "送达执行", "归档"):
        assert stage in page.text
    facts = page.text.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
    assert "<dt>依据制度</dt><dd>乡镇行政执法全过程记录办法（法制科审核）</dd>" in facts
    assert "township-legal-office" not in facts  # the regulation's name, never its slug
    with store.read() as conn:
        views = conn.execute(
            text("SELECT count(*) FROM ledger_events WHERE action = 'case.viewed'")
        ).scalar_one()
    assert views == 1


def test_clean_case_says_so(demo_client):
    client, _ = demo_client
    assert "未发现问题" in client.get("/cases/示镇综执罚〔2026〕21号").text


def test_unknown_case_is_a_chinese_404(demo_client):
    client, _ = demo_client
    page = client.get("/cases/nope")
    assert page.status_code == 404 and "没有编号或标识为 nope 的案件" in page.text


def test_api_exports_a_bundle_and_refuses_import_without_the_right(demo_client):
    client, _ = demo_client
    bundle = client.get("/api/cases/示镇强〔2026〕4号/bundle").json()
    assert (
        bundle["format"] == "liuhen-case-bundle" and bundle["case"]["number"] == "示镇强〔2026〕4号"
    )
    refused = client.post("/api/cases/import", json=json.loads(EXAMPLE.read_text("utf-8")))
    assert refused.status_code == 403 and refused.json()["error"] == "permission_denied"


def test_api_import_reports_json_paths_and_saves_nothing(sqlite_settings, clock):
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    initialise(sqlite_settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(sqlite_settings, clock=clock)
    with TestClient(
        create_app(sqlite_settings, store=store), base_url="http://127.0.0.1"
    ) as client:
        web_login(client, "admin", "Admin-pass-2026")
        bundle = json.loads(EXAMPLE.read_text("utf-8"))
        bundle["acts"][0]["ended_at"] = "2000-01-01T00:00:00+08:00"
        bad = client.post("/api/cases/import", json=bundle)
        assert bad.status_code == 400
        assert any(d.startswith("$.acts[0]") for d in bad.json()["details"])
        assert client.get("/api/cases").json()["cases"] == []
        good = client.post("/api/cases/import", json=json.loads(EXAMPLE.read_text("utf-8")))
        assert good.status_code == 201 and good.json()["created"] is True
    store.close()


def test_document_renderings_download_and_each_download_is_logged(sqlite_settings, clock):
    from liuhen.demo.documents import sample_document
    from liuhen.services.admin.setup import initialise
    from liuhen.services.cases.cases import open_case
    from liuhen.services.cases.documents import save_document
    from liuhen.store.store import Store

    initialise(sqlite_settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(sqlite_settings, clock=clock)
    filled = sample_document("inspection_record")
    agency = make_agency(
        store,
        name="示范镇人民政府",
        profile_id="township-legal-office",
        officers={o.name: o.certificate_number for o in filled.officers},
    )["agency"]
    case = open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number="示镇立〔2026〕40号",
        title="李建华占道经营案",
        procedure="general",
        party={"kind": "person", "name": "李建华"},
        opened_at=clock.now,
    )
    saved = save_document(store, SYSTEM, case_id=case, act_id=None, filled=filled)
    make_user(store, "reviewer", "legal_reviewer", agency_id=agency)
    with TestClient(
        create_app(sqlite_settings, store=store), base_url="http://127.0.0.1"
    ) as client:
        web_login(client, "reviewer", PASSWORD)
        case_page = client.get(f"/cases/{case}")
        link = f"/records/{saved.record_id}/files/1?download=1"
        assert link.replace("&", "&amp;") in case_page.text or link in case_page.text
        pdf = client.get(link)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "attachment" in pdf.headers["content-disposition"]
        part = client.get(f"/records/{saved.record_id}/files/1", headers={"Range": "bytes=0-3"})
        assert part.status_code == 206 and part.content == b"%PDF"
        assert (
            client.get(
                f"/records/{saved.record_id}/files/1", headers={"Range": "bytes=99999999-"}
            ).status_code
            == 400
        )
    with store.read() as conn:
        reads = conn.execute(
            text("SELECT count(*) FROM ledger_events WHERE action = 'record.file_read'")
        ).scalar_one()
    assert reads == 2
    store.close()
