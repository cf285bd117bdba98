"""下一步 and 越过提示 through the web: the case page's panel (with its buttons for the roles
that can use them), the officer's refusal naming each finding and its article with nothing
saved, the head's override page and its reason on the case's timeline; bad input is one
Chinese message beside the field, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.factories import make_agency, make_case, make_user
from tests.helpers import SYSTEM, web_login
from tests.samples import at

from liuhen.services.cases.records import add_record, record_act
from liuhen.store.store import Store
from liuhen.web.app import create_app

PASSWORD = "Gates-pass-2026"


class Office:
    def __init__(self, store: Store, case: str, clients: dict[str, TestClient]) -> None:
        self.store, self.case, self.clients = store, case, clients

        self.tokens: dict[str, str] = {}
        for role, client in clients.items():
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text)
            assert token is not None
            self.tokens[role] = token.group(1)

    def post(self, role: str, path: str, data: dict[str, Any]) -> Any:
        return self.clients[role].post(
            path, data={**data, "csrf": self.tokens[role]}, follow_redirects=False
        )


@pytest.fixture
def office(store: Store, clock: Any) -> Iterator[Office]:
    """A general case with an inspection and a penalty decision made without the head's
    approval or the rights notice; an officer on it, the head, a custodian."""
    clock.now = at("2026-11-20 09:00")
    made = make_agency(store, officers={"张建国": "14010020230001", "李明": "14010020230002"})
    agency = made["agency"]
    make_user(
        store, "zhang", "officer", agency_id=agency, officer_id=made["张建国"], password=PASSWORD
    )
    make_user(store, "chief", "head", agency_id=agency, password=PASSWORD)
    case = make_case(store, agency, opened_at=clock.now)
    record_act(store, SYSTEM, case_id=case, kind="inspection", started_at=clock.now,
               ended_at=clock.now + timedelta(minutes=30), place="老街1号",
               officer_ids=[made["张建国"], made["李明"]])  # fmt: skip
    add_record(store, SYSTEM, case_id=case, act_id=None, kind="text", doc_kind="penalty_decision",
               title="行政处罚决定书", details={"made_at": at("2026-11-21 10:00").isoformat()},
               history=True)  # fmt: skip
    clock.now = at("2026-11-25 10:00")
    app = create_app(store.settings, store=store)
    clients = {}
    for role, username in (("officer", "zhang"), ("head", "chief")):
        client = TestClient(app, base_url="http://127.0.0.1")
        assert web_login(client, username, PASSWORD).status_code == 303
        clients[role] = client
    yield Office(store, case, clients)


def _panel(page: str) -> str:
    return page.split('id="next"', 1)[1].split("</section>", 1)[0]


def test_the_case_page_opens_with_the_next_steps_and_their_articles(office: Office) -> None:
    page = office.clients["officer"].get(f"/cases/{office.case}").text
    assert page.index('id="next"') < page.index('id="findings"')
    panel = _panel(page)
    assert "下一关：结案" in panel and "须先解决" in panel
    assert "行政处罚法§57" in panel and "行政处罚法§44" in panel
    assert f'href="/cases/{office.case}/approvals/new?kind=initiation"' in panel
    assert "/override" not in panel  # the officer holds no override
    head = _panel(office.clients["head"].get(f"/cases/{office.case}").text)
    assert f'href="/cases/{office.case}/override?gate=close"' in head
    assert "/approvals/new" not in head  # the head records nothing: no button, whose step it is
    assert "由承办执法人员办理" in head


def test_an_officers_closing_is_refused_with_every_finding_and_nothing_saved(
    office: Office,
) -> None:
    before = office.store.event_count()
    refused = office.post("officer", f"/cases/{office.case}/close",
                          {"at": "2026-11-25T09:00", "outcome": "penalty"})  # fmt: skip
    assert refused.status_code == 409
    assert "不能结案" in refused.text and "本次未保存任何内容" in refused.text
    assert "行政处罚法§57" in refused.text and "负责人审批" in refused.text
    assert office.store.event_count() == before


def test_the_head_closes_past_the_findings_with_a_reason_shown_on_the_timeline(
    office: Office,
) -> None:
    form = office.clients["head"].get(f"/cases/{office.case}/override?gate=close")
    assert form.status_code == 200, form.text
    assert "结案前尚未解决的评查发现" in form.text and "行政处罚法§57" in form.text
    blank = office.post("head", f"/cases/{office.case}/override?gate=close",
                        {"at": "2026-11-25T09:00", "outcome": "penalty", "override_reason": " "})  # fmt: skip
    assert blank.status_code == 400 and "请填写「越过提示的理由」" in blank.text
    done = office.post(
        "head",
        f"/cases/{office.case}/override?gate=close",
        {"at": "2026-11-25T09:00", "outcome": "penalty", "override_reason": "负责人决定结案"},
    )
    assert done.status_code == 303, done.text
    page = office.clients["head"].get(f"/cases/{office.case}").text
    timeline = page.split('class="timeline"', 1)[1]
    assert "越过提示的决定" in timeline and "负责人决定结案" in timeline
    assert "下一关：归档移交" in _panel(page)


def test_the_officer_cannot_open_the_override(office: Office) -> None:
    assert office.clients["officer"].get(f"/cases/{office.case}/override").status_code == 403
    posted = office.post("officer", f"/cases/{office.case}/override?gate=close",
                         {"at": "2026-11-25T09:00", "outcome": "penalty", "override_reason": "想结案"})  # fmt: skip
    assert posted.status_code == 403


def test_the_heads_decision_page_is_the_document_form_with_the_reason(office: Office) -> None:
    page = office.clients["head"].get(f"/cases/{office.case}/override?gate=decide")
    assert page.status_code == 200, page.text
    assert "越过提示作出决定" in page.text and 'name="override_reason"' in page.text
