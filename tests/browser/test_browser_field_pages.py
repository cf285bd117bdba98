"""Every page an officer uses on site fits a phone or a tablet (issue 16 item 3): at 360,
390 and 768 px, in Debian's Chromium, none of them scrolls sideways and no menu label is
stacked a character a line — home, case list, 我的待办, the case page, the act, document,
service, approval and execution forms, the 签名 page, the upload page, unlinked footage and
devices. Screenshots kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import browser_login

from liuhen.demo.documents import sample_document
from liuhen.services.admin.users import find_user
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.documents import save_document
from liuhen.services.cases.records import record_act

pytestmark = pytest.mark.browser
FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
PAGES = (
    "/",
    "/cases",
    "/inbox",
    "/cases/{case}",
    "/cases/{case}/acts/new",
    "/cases/{case}/documents/new",
    "/cases/{case}/documents/new?kind=inspection_record",
    "/cases/{case}/documents/new?kind=inquiry_record",
    "/cases/{case}/services/new",
    "/cases/{case}/approvals/new",
    "/cases/{case}/executions/new",
    "/cases/{case}/records/{record}/sign",
    "/uploads?case={case}",
    "/av/unlinked",
    "/devices",
)


@pytest.fixture
def demo(demos: Any, templates: Any, tmp_path: Any, clock: Any) -> Iterator[Any]:
    made = demos.open(tmp_path / "demo", "sqlite", clock=clock)
    yield made
    made.store.close()
    templates.drop(made.store.settings)


def _officers_case(store: Any) -> tuple[str, str]:
    """A case of zhangjg's with an inspection and its 笔录 waiting for the party's signature."""
    from dataclasses import replace

    from liuhen.documents.model import OfficerPresent

    officer, other = find_user(store, "zhangjg"), find_user(store, "liming")
    assert officer is not None and officer.agency_id and officer.officer_id
    assert other is not None and other.officer_id
    start = store.clock() - timedelta(hours=3)
    case = open_case(
        store,
        officer.actor,
        agency_id=officer.agency_id,
        number="示范罚〔2026〕78号",
        title="某超市销售过期食品案",
        procedure="general",
        party={"kind": "organisation", "name": "某某超市有限公司", "address": "西街12号"},
        opened_at=start,
        section="综合行政执法队",
    )
    record_act(
        store,
        officer.actor,
        case_id=case,
        kind="inspection",
        started_at=start,
        ended_at=start + timedelta(minutes=40),
        place="西街12号",
        officer_ids=[officer.officer_id, other.officer_id],
    )
    sample = sample_document("inspection_record")
    filled = replace(
        sample,
        agency="",
        officers=tuple(
            OfficerPresent(u.display_name, _certificate(store, str(u.officer_id)))
            for u in (officer, other)
        ),
        values={**sample.values, "inspectors": [officer.display_name, other.display_name]},
        signatures=(),
    )
    record = save_document(
        store, officer.actor, case_id=case, act_id=None, filled=filled, signing_on_screen=True
    ).record_id
    return case, record


def _certificate(store: Any, officer_id: str) -> str:
    from sqlalchemy import select

    from liuhen.store import tables as t

    with store.read() as conn:
        number = conn.execute(
            select(t.officers.c.certificate_no).where(t.officers.c.id == officer_id)
        ).scalar_one()
    return str(number or "")


@pytest.mark.parametrize("width", [360, 390, 768])
def test_every_page_an_officer_uses_on_site_fits_a_phone_and_a_tablet(
    demo: Any, live_server: Any, new_window: Any, width: int
) -> None:
    store = demo.store
    case, record = _officers_case(store)
    base = live_server(store)
    page = new_window(viewport={"width": width, "height": 800}, has_touch=True)
    browser_login(page, base, "zhangjg", demo.accounts["zhangjg"], store)
    ARTIFACTS.mkdir(exist_ok=True)
    wide = []
    for n, path in enumerate(PAGES):
        response = page.goto(base + path.format(case=case, record=record))
        assert response is not None and response.status == 200, (path, response and response.status)
        if not page.evaluate(FITS):
            wide.append(path)
        labels = page.locator("nav a").evaluate_all("links => links.map(a => a.offsetHeight)")
        assert all(h < 40 for h in labels), (path, labels)
        keep_screenshot(page, f"field-page{n:02d}-{width}.png", full_page=True)
    assert not wide, f"scroll sideways at {width} px: {wide}"
