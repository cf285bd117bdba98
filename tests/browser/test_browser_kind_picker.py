"""Choosing a document kind (issue 16 item 6): the kinds come grouped by the stage of the
procedure, and a search box narrows them; without scripts the grouped list still works.
Screenshots at 390 and 1366 px kept."""

from __future__ import annotations

from typing import Any

import pytest
from tests.fixtures import keep_screenshot
from tests.helpers import browser_login

from liuhen.services.cases.cases import find_case

pytestmark = pytest.mark.browser
NUMBER = "示镇综执立〔2026〕12号"
STAGES = ["立案", "调查取证", "审查决定", "告知", "送达", "执行", "结案归档", "其他"]
FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def _open(new_window: Any, demo_site: Any, sqlite_demo: Any, width: int, **options: Any) -> Any:
    base, accounts = demo_site
    page = new_window(viewport={"width": width, "height": 900}, **options)
    browser_login(page, base, "zhangjg", accounts["zhangjg"], sqlite_demo.store)
    case = find_case(sqlite_demo.store, NUMBER)
    page.goto(f"{base}/cases/{case}/documents/new")
    return page


def _visible(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#kind option", "os => os.filter(o => !o.hidden).map(o => o.textContent)"
    )


@pytest.mark.parametrize("width", [390, 1366])
def test_document_kinds_are_grouped_by_stage_and_searchable(
    new_window: Any, demo_site: Any, sqlite_demo: Any, width: int
) -> None:
    page = _open(new_window, demo_site, sqlite_demo, width)
    groups = page.eval_on_selector_all("#kind optgroup", "gs => gs.map(g => g.label)")
    assert groups == STAGES
    assert page.eval_on_selector(
        "#kind optgroup[label=送达]", "g => [...g.children].map(o => o.textContent)"
    ) == ["电子送达确认书", "送达回证"]
    assert page.is_visible("#kind-search")
    page.fill("#kind-search", "告知")
    shown = _visible(page)
    assert "行政处罚事先告知书（权利告知书）" in shown and "一次性补正告知书" in shown
    assert "询问笔录" not in shown and "送达回证" not in shown
    assert page.text_content("#kind-hint") == f"找到 {len(shown)} 种文书"
    assert page.evaluate(FITS)
    keep_screenshot(page, f"kind-picker-search-{width}.png", full_page=True)
    page.fill("#kind-search", "决定书")
    assert page.input_value("#kind") == "preservation_notice"  # the first match, in stage order
    page.fill("#kind-search", "听证")
    page.press("#kind-search", "Enter")
    page.wait_for_url(lambda url: url.endswith("/documents/new?kind=hearing_record"))


def test_without_scripts_the_grouped_list_alone_chooses_a_kind(
    new_window: Any, demo_site: Any, sqlite_demo: Any
) -> None:
    page = _open(new_window, demo_site, sqlite_demo, 390, java_script_enabled=False)
    assert not page.is_visible("#kind-search")
    labels = page.eval_on_selector_all("#kind optgroup", "gs => gs.map(g => g.label)")
    assert labels == STAGES
    keep_screenshot(page, "kind-picker-noscript-390.png", full_page=True)
    page.select_option("#kind", "service_receipt")
    page.click("form[method=get] button.primary")
    page.wait_for_url(lambda url: url.endswith("/documents/new?kind=service_receipt"))
