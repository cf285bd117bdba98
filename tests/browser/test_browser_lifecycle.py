"""A whole 一般程序 case in Chromium, worked by three people — officer, legal reviewer, head —
with the findings on the case page checked after every step (screenshots kept in
test-artifacts/, not committed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import FakeClock
from tests.factories import make_agency, make_user
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import SYSTEM

from liuhen.services.admin.totp import code_at, enrolment_secret, needs_totp
from liuhen.services.admin.users import find_user

CST = timezone(timedelta(hours=8))
PASSWORD = "Officer-pass-2026"
TOTP_SECRETS: dict[str, str] = {}
USERS = {
    "zhangwei": ("张伟", "officer"),
    "zhaomin": ("赵敏", "legal_reviewer"),
    "liugang": ("刘刚", "head"),
}

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def bureau(tmp_path: Path, make_settings: Any, live_server: Any) -> Iterator[tuple[str, FakeClock]]:
    """A forestry bureau (profile shanxi-forestry), two officers, three users, a server."""
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    settings = make_settings(
        tmp_path / "data",
        env={"LIUHEN_SESSION_IDLE_MINUTES": str(60 * 24 * 60)},  # the clock jumps weeks ahead
    )
    clock = FakeClock(datetime(2026, 9, 14, 8, 0, tzinfo=CST))
    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    made = make_agency(
        store,
        name="某县林业局",
        profile_id="shanxi-forestry",
        officers={"张伟": "14010001", "李娜": "14010002"},
    )
    agency, o1 = made["agency"], made["张伟"]
    for login, (name, role) in USERS.items():
        make_user(
            store,
            login,
            role,
            agency_id=agency,
            officer_id=o1 if role == "officer" else None,
            display_name=name,
        )
        if needs_totp([role]):  # enrolled already: the desk types the current code
            user = find_user(store, login)
            assert user is not None
            TOTP_SECRETS[login] = enrolment_secret(store, user)
            with store.transaction(SYSTEM) as tx:
                tx.update("users", user.id, {"totp_enabled_at": clock()})
                tx.record("auth.totp_enrolled", subject_type="user", subject_id=user.id)
    Desk.clock = clock
    base = live_server(store)
    yield base, clock
    store.close()


class Desk:
    """One person at their own browser window, signed in (with the TOTP code if needed)."""

    clock: Any = None

    def __init__(self, new_window: Any, base: str, username: str) -> None:
        self.page = new_window()
        self.base = base
        self.page.goto(base + "/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        if username in TOTP_SECRETS:
            self.page.wait_for_url("**/login/totp**")
            self.page.fill("#code", code_at(TOTP_SECRETS[username], self.clock()))
            self.page.click("button[type=submit]")
        self.page.wait_for_url(base + "/")  # 首页

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        keep_screenshot(self.page, f"lifecycle-{name}.png", full_page=True)

    def fill(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self.page.fill(f"[name='{name}']", value)

    def check(self, *names: str) -> None:
        for name in names:
            self.page.check(f"[name='{name}']")

    def submit(self, label: str) -> None:
        with self.page.expect_navigation():
            self.page.click(f"button:has-text('{label}')")
        problems = self.page.locator("#form-errors, .field-error").all_inner_texts()
        assert not problems, problems

    def findings(self, case_url: str) -> set[str]:
        """The citations of the findings on the case page, freshly loaded."""
        self.page.goto(case_url)
        return set(self.page.locator("#findings .finding .cite").all_inner_texts())

    def decide(self, position: str, opinion: str) -> None:
        self.page.goto(self.base + "/approvals")
        self.page.select_option("[name='position']", position)
        self.page.fill("[name='opinion']", opinion)
        self.page.check("[name='final']")
        self.submit("提交审批意见")
        assert "审批已办结" in self.page.locator(".flash").inner_text()


def test_general_procedure_case_by_officer_legal_reviewer_and_head(bureau, new_window):
    base, clock = bureau
    officer = Desk(new_window, base, "zhangwei")
    page = officer.page

    # 立案, with the request for the initiation approval
    page.click("a:has-text('立案')")
    officer.fill(
        {
            "title": "某木材厂擅自改变林地用途案",  # its number: the 字号's next
            "opened_at": "2026-09-14T08:00",
            "party.name": "某木材厂",
            "party.address": "某县东街1号",
            "party.legal_representative": "王某",
            "reason": "群众举报某木材厂在林地内堆放木材，涉嫌擅自改变林地用途",
            "opinion": "建议立案调查",
        }
    )
    officer.shot("01-new-case")
    officer.submit("立案")
    case_url = page.url.split("?")[0]
    assert "已提请立案（程序启动）审批" in page.locator(".flash").inner_text()
    assert officer.findings(case_url) == set()
    officer.shot("02-case-opened")

    # the head approves the initiation in the inbox; the 90-day decision deadline starts
    clock.now = datetime(2026, 9, 14, 8, 30, tzinfo=CST)
    head = Desk(new_window, base, "liugang")
    assert head.page.locator("#nav-approvals").inner_text() == "待我审批 1"
    head.page.click("#nav-approvals")
    approval = head.page.locator(".approval").inner_text()
    assert "建议立案调查" in approval and "本机关制度要求批准人：主要负责人" in approval
    assert head.page.locator("[name='position']").input_value() == "principal_head"
    head.shot("03-inbox-head")
    head.decide("principal_head", "同意立案，由张伟、李娜承办")
    assert "目前没有等待您审批的事项" in head.page.content()
    assert officer.findings(case_url) == {"行政处罚法§60"}

    # an inspection without AV: the AV finding and the missing 笔录 appear
    clock.now = datetime(2026, 9, 14, 9, 45, tzinfo=CST)
    page.click("a:has-text('记录执法环节')")
    page.select_option("[name='kind']", "inspection")
    officer.fill(
        {
            "place": "某县东街1号厂区",
            "started_at": "2026-09-14T09:00",
            "ended_at": "2026-09-14T08:40",
        }
    )
    page.check("#field-officer_ids label:has-text('李娜') input")
    page.check("[name='certificates_shown'][value='yes']")
    page.click("button:has-text('保存执法环节')")
    assert "结束时间早于开始时间" in page.locator("#field-ended_at").inner_text()
    officer.shot("04-act-refused")
    officer.fill({"ended_at": "2026-09-14T09:40"})
    officer.submit("保存执法环节")
    assert {"004§13", "004§14"} <= officer.findings(case_url)

    # the inspection record: officers sign, the party refuses with a reason and a witness
    page.click(".item-actions a:has-text('制作笔录')")
    page.select_option("#kind", "inspection_record")
    with page.expect_navigation():
        page.click("button:has-text('下一步')")
    officer.fill(
        {
            "f.recorder": "李娜",
            "f.identity_notice": "执法人员张伟、李娜出示执法证件，告知当事人有陈述、申辩和申请回避的权利",
            "f.findings": "厂区东侧林地内堆放原木约200立方米，林地植被已被破坏",
            "sig-0-name": "王某",
            "sig-0-reason": "称需请示老板，拒绝签字",
            "sig-0-witness": "周某（东街村委会主任）",
            "sig-1-at": "2026-09-14T09:42",
            "sig-2-at": "2026-09-14T09:42",
            "sig-3-name": "李娜",
        }
    )
    officer.check("sig-0-refused", "f.recording_notice")
    officer.shot("05-inspection-record")
    officer.submit("保存文书")
    after_record = officer.findings(case_url)
    assert "004§13" in after_record and "004§14" not in after_record
    officer.shot("06-case-after-inspection")

    # rights notice, served directly
    clock.now = datetime(2026, 9, 15, 10, 0, tzinfo=CST)
    page.click(".case-actions a:has-text('制作文书')")
    page.select_option("#kind", "rights_notice")
    with page.expect_navigation():
        page.click("button:has-text('下一步')")
    officer.fill(
        {
            "f.facts": "当事人未经批准在林地内堆放木材，破坏林地植被约300平方米",
            "f.evidence": "现场检查笔录、现场照片",
            "f.legal_basis": "《中华人民共和国森林法》第七十三条",
            "f.proposed_penalty": "责令限期恢复植被，并处罚款5000元",
            "f.statement_deadline": "收到本告知书之日起三日内",
            "f.notice_method": "直接送达",
        }
    )
    for right in ("statement", "defence", "recusal"):
        page.check(f"[name='f.rights'][value='{right}']")
    page.check("[name='sealed']")
    officer.submit("保存文书")
    page.click("#stage-investigation .item-actions a:has-text('送达') >> nth=-1")
    officer.check("receipt.server_signed", "receipt.recipient_signed")
    officer.fill({"receipt.date": "2026-09-15", "recipient": "王某"})
    officer.submit("保存送达记录")
    assert officer.findings(case_url) == after_record

    # legal review, by the legal reviewer from her inbox
    page.click("a:has-text('提请审批')")
    page.wait_for_load_state()  # the chooser's script must be attached before it changes
    with page.expect_navigation():
        page.select_option("#chooser-kind", "legal_review")
    officer.fill({"opinion": "事实清楚，拟罚款5000元，请法制审核"})
    officer.submit("提请审批")
    legal = Desk(new_window, base, "zhaomin")
    legal.page.click("#nav-approvals")
    assert "法制审核" in legal.page.locator(".approval h2").inner_text()
    legal.shot("07-inbox-legal-reviewer")
    legal.decide("legal_reviewer", "事实清楚，证据确凿，程序合法，适用依据正确")
    assert officer.findings(case_url) == after_record
    assert "事实清楚，证据确凿" in page.locator("#stage-decision").inner_text()

    # the head's decision approval
    page.click("a:has-text('提请审批')")
    page.wait_for_load_state()  # the chooser's script must be attached before it changes
    with page.expect_navigation():
        page.select_option("#chooser-kind", "decision")
    officer.fill({"opinion": "拟责令恢复植被并罚款5000元"})
    officer.submit("提请审批")
    head.decide("principal_head", "同意")

    # the decision: the 90-day deadline is met, service within 7 working days is now due
    clock.now = datetime(2026, 9, 16, 10, 0, tzinfo=CST)
    page.click(".case-actions a:has-text('制作文书')")
    page.select_option("#kind", "penalty_decision")
    with page.expect_navigation():
        page.click("button:has-text('下一步')")
    officer.fill(
        {
            "f.facts": "当事人未经批准在林地内堆放木材，破坏林地植被约300平方米",
            "f.evidence": "现场检查笔录、现场照片、询问笔录",
            "f.legal_basis": "《中华人民共和国森林法》第七十三条",
            "f.penalty_kind": "责令限期恢复植被；罚款人民币伍仟元",
            "f.fine_amount": "5000",
            "f.performance": "自收到本决定书之日起十五日内缴至指定银行",
            "f.remedy_channels": "六十日内申请行政复议，或者六个月内提起行政诉讼",
        }
    )
    page.check("[name='sealed']")
    officer.submit("保存文书")
    decided = officer.findings(case_url)
    assert "行政处罚法§60" not in decided and "行政处罚法§61" in decided
    assert "004§21" in decided  # no 行政处罚意见书 was reported to the head

    # lien service with a witness: served on time, but without AV (004§27)
    clock.now = datetime(2026, 9, 16, 15, 0, tzinfo=CST)
    page.click("#stage-decision .item-actions a:has-text('送达') >> nth=-1")
    page.wait_for_load_state()  # the chooser's script must be attached before it changes
    with page.expect_navigation():
        page.select_option("#chooser-mode", "lien")
    officer.fill(
        {
            "recipient": "王某",
            "lien.refusal_reason": "受送达人拒绝签收",
            "lien.refusal_date": "2026-09-16",
            "lien.witness": "周某（东街村委会主任）",
            "receipt.date": "2026-09-16",
        }
    )
    officer.check("lien.witness_signed", "lien.left_at_residence", "receipt.server_signed")
    officer.shot("08-lien-service")
    officer.submit("保存送达记录")
    served = officer.findings(case_url)
    assert "行政处罚法§61" not in served and "004§27" in served

    # the party does not pay: a reminder (催告书), served; then the fine is paid
    clock.now = datetime(2026, 10, 9, 10, 0, tzinfo=CST)
    page.click(".case-actions a:has-text('制作文书')")
    page.select_option("#kind", "reminder")
    with page.expect_navigation():
        page.click("button:has-text('下一步')")
    officer.fill(
        {
            "f.decision_ref": "某县林罚决字〔2026〕1号，2026年9月16日留置送达",
            "f.deadline": "2026-10-19",
            "f.method": "缴至指定银行",
            "f.amount": "罚款人民币伍仟元，银行转账",
        }
    )
    page.check("[name='sealed']")
    officer.submit("保存文书")
    page.click("#stage-service_execution .item-actions a:has-text('送达') >> nth=-1")
    officer.check("receipt.server_signed", "receipt.recipient_signed")
    officer.fill({"receipt.date": "2026-10-09", "recipient": "王某"})
    officer.submit("保存送达记录")
    clock.now = datetime(2026, 10, 12, 11, 0, tzinfo=CST)
    page.click("a:has-text('记录执行情况')")
    page.wait_for_load_state()  # the chooser's script must be attached before it changes
    with page.expect_navigation():
        page.select_option("#chooser-kind", "fine_paid")
    officer.fill({"at": "2026-10-12T10:00", "fx.amount": "5000"})
    officer.check("fx.bank_receipt")
    officer.submit("保存执行情况")
    assert officer.findings(case_url) == served

    # closing: no 行政处罚意见书 was reported to the head (004§21), so the officer is refused
    # with that finding; the head closes the case past it with a reason (越过提示), and the
    # 30 days for the case file begin (004§35)
    page.click(".case-actions a:has-text('结案')")
    officer.fill({"at": "2026-10-12T11:00"})
    page.select_option("[name='outcome']", "penalty")
    with page.expect_navigation():
        page.click("button:has-text('确认结案')")
    refusal = page.locator("#form-errors").inner_text()
    assert "不能结案" in refusal and "004§21" in refusal
    head.page.goto(case_url)
    head.page.click("#override-gate")
    head.page.wait_for_load_state()
    head.fill({"at": "2026-10-12T11:00", "override_reason": "意见书内容已在处罚决定审批中载明"})
    head.page.select_option("[name='outcome']", "penalty")
    head.submit("说明理由并结案")
    closed = officer.findings(case_url)
    assert closed == served | {"004§35"}
    assert page.locator(".stage-col").count() == 5
    officer.shot("09-case-closed")

    page.goto(base + "/cases")
    officer.shot("10-case-list")
    clock.now = datetime(2026, 10, 20, 9, 0, tzinfo=CST)  # the case file is due 11-11
    head.page.goto(base + "/cases")
    head.page.select_option("#days", "20")
    with head.page.expect_navigation():
        head.page.click("button:has-text('查看有待办到期的案件')")
    assert "某县林立字〔2026〕1号" in head.page.locator("#case-table").inner_text()
    head.shot("11-cases-due")
