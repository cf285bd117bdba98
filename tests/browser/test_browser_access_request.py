"""A party's copy request in Chromium: an officer registers it, the head reviews on a phone
(390 px) what the copy will cover (removes a proposed mark, adds one with a reason) and
approves it in the inbox, the party opens the hand-over link without logging in and
downloads the copy (its watermark read back with pypdf, the covered words absent, seen on
pages rendered by pdftoppm), the link expires
when time moves on, and the request's ledger shows each step. Screenshots and the rendered
page are kept in test-artifacts/ (not committed)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from tests.conftest import FakeClock, need
from tests.factories import make_agency
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import SYSTEM, browser_login

from liuhen.demo.documents import sample_document
from liuhen.services.admin.users import add_user
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.documents import save_document
from liuhen.services.cases.records import record_act

CST = timezone(timedelta(hours=8))
PASSWORD = "Officer-pass-2026"
NUMBER = "晋林罚立〔2026〕31号"
STORES: dict[str, Any] = {}  # base url -> the store the server runs on

pytestmark = pytest.mark.browser


@pytest.fixture
def bureau(
    tmp_path: Path, make_settings: Any, live_server: Any
) -> Iterator[tuple[str, FakeClock, str]]:
    """A forestry bureau (profile shanxi-forestry: copies need 局主要负责人, 004§37), a case
    with one rendered 现场检查笔录, an officer and the head, and a server on a free port."""
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    need(shutil.which("pdftoppm") is not None, "poppler-utils (pdftoppm) is not installed")
    settings = make_settings(
        tmp_path / "data",
        env={
            "LIUHEN_SESSION_IDLE_MINUTES": str(60 * 24 * 60),  # the clock jumps days ahead
            "LIUHEN_SHARE_LINK_DAYS": "7",
        },
    )
    clock = FakeClock(datetime(2026, 9, 14, 8, 0, tzinfo=CST))
    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    filled = sample_document("inspection_record")
    bureau = make_agency(
        store,
        name="某县林业局",
        profile_id="shanxi-forestry",
        officers={o.name: o.certificate_number for o in filled.officers},
    )
    agency = bureau.pop("agency")
    officer_ids = list(bureau.values())
    case = open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number=NUMBER,
        title="某木材厂擅自改变林地用途案",
        procedure="general",
        party={"kind": "organisation", "name": "某木材厂"},
        opened_at=clock.now,
    )
    save_document(store, SYSTEM, case_id=case, act_id=None, filled=filled)
    record_act(  # the inspection the officers made: they are on the case
        store,
        SYSTEM,
        case_id=case,
        kind="inspection",
        started_at=clock.now,
        ended_at=clock.now + timedelta(minutes=30),
        place="某木材厂",
        officer_ids=officer_ids,
    )
    clock.now = datetime(2026, 9, 20, 9, 0, tzinfo=CST)
    for login, name, role in (("zhangwei", "张伟", "officer"), ("liugang", "刘刚", "head")):
        add_user(
            store,
            SYSTEM,
            username=login,
            password=PASSWORD,
            display_name=name,
            roles=[role],
            agency_id=agency,
            officer_id=officer_ids[0] if role == "officer" else None,  # on the case
        )
    base = live_server(store)
    STORES[base] = store
    yield base, clock, case
    store.close()


def window(new_window: Any, width: int = 1280) -> Any:
    return new_window(accept_downloads=True, viewport={"width": width, "height": 900})


def sign_in(new_window: Any, base: str, username: str, width: int = 1280) -> Any:
    page = window(new_window, width)
    browser_login(page, base, username, PASSWORD, STORES[base])  # the head: with TOTP
    page.wait_for_url(base + "/")  # 首页
    return page


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    keep_screenshot(page, f"access-{name}.png", full_page=True)


def submit(page: Any, label: str) -> None:
    with page.expect_navigation():
        page.click(f"button:has-text('{label}')")
    problems = page.locator("#form-errors, .field-error").all_inner_texts()
    assert not problems, problems


def test_copy_request_from_registration_to_an_expired_link(bureau, new_window, tmp_path):
    base, clock, case = bureau

    # the officer registers the party's copy request on the case page
    officer = sign_in(new_window, base, "zhangwei")
    officer.goto(f"{base}/cases/{case}")
    assert "尚无当事人查阅、复制申请" in officer.locator("#access-requests").inner_text()
    officer.click("#access-requests a:has-text('查阅/复制申请')")
    officer.fill("[name='requester.name']", "王建国")
    officer.select_option("[name='requester.relation']", "legal_representative")
    officer.select_option("[name='requester.id_type']", "resident_id")
    officer.fill("[name='requester.id_number']", "11010519491231002X")
    officer.check("[name='kind'][value='copy']")
    officer.fill("[name='purpose']", "申请行政复议，需要现场检查笔录复制件")
    officer.check("[name='record_ids']")
    shot(officer, "01-register")
    submit(officer, "登记并提请审批")
    detail_url = officer.url.split("?")[0]
    assert "申请已登记" in officer.locator(".flash").inner_text()
    assert officer.locator("#request-status").inner_text() == "待审批"
    assert "主要负责人或经授权的分管负责人（004§37）" in officer.content()
    shot(officer, "02-registered")

    # the head, on a phone (390 px), reviews what the system proposed to cover: the document
    # names 李建华 (not the party of this case) with an address; the head keeps the names,
    # removes the address and covers the goods on sale with a reason
    clock.now += timedelta(hours=1)
    head = sign_in(new_window, base, "liugang", width=390)
    head.goto(detail_url)
    assert "尚未审查，审查前不能批准" in head.locator("#redactions").inner_text()
    head.click("#redactions a:has-text('审查遮盖')")
    head.wait_for_url(f"{detail_url}/redactions/*")  # count() does not wait for the page
    assert head.locator(".mark-card").count() == 4
    assert head.locator("mark.cover").count() == 4  # highlighted in the document's text
    address = head.locator(".mark-card", has_text="山西省示范县示范镇新华街45号")
    address.locator("input[type=checkbox]").uncheck()
    head.fill("[name='add.text']", "苹果、香蕉、橘子")
    head.select_option("[name='add.kind']", "other")
    head.select_option("[name='add.ground']", "commercial_secret")
    head.fill("[name='add.reason']", "经营品种与进货渠道，属当事人以外的商业信息")
    wide = head.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, wide  # nothing wider than the phone
    shot(head, "03-redaction-390")
    submit(head, "确认遮盖内容")
    assert "遮盖内容已确认" in head.locator(".flash").inner_text()
    assert "第 1 版：4 处遮盖" in head.locator("#redactions").inner_text()

    # the head approves it in the inbox
    assert head.locator("#nav-approvals").inner_text() == "待我审批 1"
    head.click("#nav-approvals")
    card = head.locator(".approval").inner_text()
    assert "查阅/复制申请审批" in card and "王建国" in card and "1101**********002X" in card
    assert "本机关制度要求批准人：主要负责人或分管负责人" in card
    assert head.locator("[name='position']").input_value() == "principal_head"
    shot(head, "03-inbox")
    head.select_option("[name='position']", "principal_head")
    head.fill("[name='opinion']", "同意提供现场检查笔录复制件")
    head.check("[name='final']")
    submit(head, "提交审批意见")
    assert "审批已办结" in head.locator(".flash").inner_text()

    # the officer hands over: a link, shown once, to copy
    officer.goto(detail_url)
    assert officer.locator("#request-status").inner_text() == "已批准"
    # the copies are the cluster's job, queued with the decision: the page shows its state
    # and reloads itself until it is done
    officer.wait_for_selector("#copy-job.done", timeout=60_000)
    assert officer.locator("#copy-job").inner_text() == "复制件制作：已完成"
    assert "现场检查（勘验）笔录_复制件（遮盖）.pdf" in officer.locator("#copies").inner_text()
    submit(officer, "生成交付链接")
    link = officer.input_value("#share-url")
    assert link.startswith(base + "/share/")
    officer.click("button:has-text('复制链接')")
    shot(officer, "04-link")

    # the party opens it without logging in and downloads the watermarked copy
    party = window(new_window)
    party.goto(link)
    assert "执法记录复制件" in party.content() and "王建国" in party.content()
    shot(party, "05-share")
    with party.expect_download() as got:
        party.click("a:has-text('下载')")
    saved = tmp_path / "copy.pdf"
    got.value.save_as(saved)
    reader = PdfReader(BytesIO(saved.read_bytes()))
    for page in reader.pages:
        text = page.extract_text()
        assert "王建国" in text and "查复〔2026〕1号" in text and "2026-09-20" in text
    assert "现场检查" in reader.pages[0].extract_text()
    text = "".join(page.extract_text() for page in reader.pages)
    assert "李建华" not in text and "苹果、香蕉、橘子" not in text and "■■■■〔1〕" in text
    assert "山西省示范县示范镇新华街45号" in text  # the mark the head removed
    assert "遮盖说明" in text and "商业秘密" in text and "刘刚" in text  # the last page
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            str(saved),
            str(ARTIFACTS / "access-06-copy-page"),
        ],
        check=True,
        timeout=60,
    )
    assert list(ARTIFACTS.glob("access-06-copy-page*.png"))

    # a week and a day later the link has expired: a clear page, status 410
    clock.now += timedelta(days=8)
    response = party.goto(link)
    assert response.status == 410
    assert "该下载链接已过期" in party.locator(".share-gone").inner_text()
    shot(party, "07-expired")

    # the request shows it, and its ledger shows each step
    officer.goto(detail_url)
    assert officer.locator("#request-status").inner_text() == "链接已过期"
    steps = officer.locator("#events tr.event").evaluate_all(
        "rows => rows.map(r => r.dataset.action)"
    )
    assert steps == [
        "access.requested",
        "approval.requested",
        "access.redaction_confirmed",
        "approval.decided",
        "access.granted",
        "access.copy_made",
        "share.issued",
        "share.viewed",
        "share.downloaded",
        "share.refused",
    ]
    shot(officer, "08-ledger")
    officer.goto(f"{base}/cases/{case}")
    card = officer.locator("#access-requests").inner_text()
    assert "查复〔2026〕1号" in card and "链接已过期" in card
    shot(officer, "09-case-card")
