"""In Debian's Chromium at a phone's 390 px and a laptop's 1366 px: an officer opens a case
whose 行政处罚决定书 was made without 负责人审批 and 告知, sees 下一步 at the top of the case
page (what holds the closing first, with its articles, then the road: 立案审批 next) and
follows its button to the form that does it; the head opens the same case, takes 越过提示
to close it, gives a reason, and finds the override on the case's timeline and (at 1366 px)
in the 备考表 of the case-file PDF exported from the web. Every page
fits the screen. Screenshots kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import SYSTEM, browser_login

from liuhen.services.admin.users import find_user
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.records import add_record, record_act
from liuhen.store.store import Store

pytestmark = pytest.mark.browser
REASON = "当事人已缴清罚款，负责人决定先行结案，审批和告知材料另行补正"


@pytest.fixture
def demo(demos: Any, templates: Any, tmp_path: Any, clock: Any) -> Iterator[Any]:
    """A private copy of the demo on SQLite (these tests add a case and close it)."""
    made = demos.open(tmp_path / "demo", "sqlite", clock=clock)
    yield made
    made.store.close()
    templates.drop(made.store.settings)


def _decided_without_its_steps(store: Store) -> str:
    """A general case of the demo's officers: an inspection, then a penalty decision with
    neither the head's approval nor the rights notice (loaded as the case's past)."""
    officer, other = find_user(store, "zhangjg"), find_user(store, "liming")
    assert officer is not None and other is not None and officer.agency_id is not None
    start = store.clock() - timedelta(days=3)
    case = open_case(
        store,
        SYSTEM,
        agency_id=officer.agency_id,
        number="示范罚〔2026〕99号",
        title="某商店占道经营案",
        procedure="general",
        party={"kind": "organisation", "name": "某商店", "address": "东街9号"},
        opened_at=start,
        section="综合行政执法队",
    )
    record_act(
        store,
        SYSTEM,
        case_id=case,
        kind="inspection",
        started_at=start,
        ended_at=start + timedelta(minutes=30),
        place="东街9号",
        officer_ids=[str(officer.officer_id), str(other.officer_id)],
    )
    add_record(
        store,
        SYSTEM,
        case_id=case,
        act_id=None,
        kind="text",
        doc_kind="penalty_decision",
        title="行政处罚决定书",
        details={
            "made_at": (start + timedelta(days=1)).isoformat(),
            "number": "示范罚决〔2026〕99号",
        },
        history=True,
    )
    return case


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page: Any, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    keep_screenshot(page, f"{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("width", [390, 1366])
def test_an_officer_follows_the_next_step_and_the_head_overrides_the_closing(
    demo: Any, live_server: Any, new_window: Any, width: int
) -> None:
    store = demo.store
    case = _decided_without_its_steps(store)
    base = live_server(store)

    officer = new_window(viewport={"width": width, "height": 900})
    browser_login(officer, base, "zhangjg", demo.accounts["zhangjg"], store)
    officer.goto(f"{base}/cases/{case}")
    panel = officer.locator("#next")
    assert panel.is_visible() and "下一步" in panel.inner_text()
    text = panel.inner_text()
    assert "须先解决" in text and "不能结案" in text
    assert "行政处罚法§57" in text and "002§12" in text  # the township's own article on 告知
    assert "立案（程序启动）审批" in text
    assert officer.locator("#override-gate").count() == 0  # an officer cannot override
    _fits(officer, width)
    _shot(officer, "next-steps-officer", width)
    officer.locator("#next li.step.next a.button").first.click()
    officer.wait_for_load_state()
    assert "/approvals/new?kind=initiation" in officer.url
    assert officer.locator("h1").inner_text() == "提请审批"
    _fits(officer, width)

    head = new_window(viewport={"width": width, "height": 900})
    browser_login(head, base, "liuzz", demo.accounts["liuzz"], store)
    head.goto(f"{base}/cases/{case}")
    head.locator("#override-gate").click()
    head.wait_for_load_state()
    assert "/override?gate=close" in head.url
    assert head.locator("#gate-notice").count() == 1, head.content()[-3000:]
    notice = head.locator("#gate-notice").inner_text()
    assert "结案前尚未解决的评查发现" in notice and "行政处罚法§57" in notice
    head.select_option("#outcome", "penalty")
    head.fill("#override_reason", REASON)
    _fits(head, width)
    _shot(head, "override-close", width)
    head.locator("form.form button[type=submit]").click()
    head.wait_for_load_state()
    assert head.url.endswith(f"/cases/{case}?saved=closed")
    timeline = head.locator(".timeline").inner_text()
    assert "越过提示的决定" in timeline and REASON in timeline
    _fits(head, width)
    _shot(head, "override-on-timeline", width)
    if width == 1366:  # and in the case file (案卷 PDF, 备考表), exported from the web once
        _override_in_the_case_file(head, base, case)


def _override_in_the_case_file(head: Any, base: str, case: str) -> None:
    head.locator("#export-case-file").click()
    head.wait_for_url(f"{base}/cases/{case}?archived=exporting#exports")
    link = head.locator(".export-job[data-kind=case_file] a", has_text="下载")
    link.wait_for(timeout=120_000)  # the page reloads itself while the job runs
    with head.expect_download() as waiting:
        link.click()
    pdf = PdfReader(waiting.value.path())
    text = re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages[-3:]))
    assert "越过提示" in text and re.sub(r"\s+", "", REASON) in text, text[-1500:]
