"""经主要负责人授权的分管负责人 (shanxi-forestry, 004§37): a deputy grants a party's view
request only with a written authorisation in force when deciding; the principal head
grants and revokes it, each on the ledger; an expired or revoked one no longer serves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.helpers import SYSTEM, add_people

from liuhen.errors import InvalidInput, PermissionDenied
from liuhen.services.access.requests import register_request
from liuhen.services.admin.agency import create_agency
from liuhen.services.approvals.authorisations import (
    grant_authorisation,
    list_grants,
    revoke_authorisation,
)
from liuhen.services.approvals.queries import inbox
from liuhen.services.approvals.workflow import decide
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.records import add_record
from liuhen.store import tables as t

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Forest-pass-2026"
REQUESTER = {
    "name": "王某",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
    "relation": "party",
    "phone": "13800000000",
}


def _world(store: Any) -> dict[str, Any]:
    agency = create_agency(store, SYSTEM, name="某县林业局", profile_id="shanxi-forestry")
    who = add_people(
        store,
        agency,
        {"chief": ("赵局长", "head"), "officer1": ("张三", "officer")},
        PASSWORD,
    )
    who["chief"] = who.pop("head")
    who["deputy"] = add_people(store, agency, {"deputy": ("钱副局长", "head")}, PASSWORD)["head"]
    case = open_case(
        store, who["officer"].actor, agency_id=agency, number="晋林罚立〔2026〕41号",
        title="某案", procedure="general", party={"kind": "person", "name": "王某"},
        opened_at=store.clock() - timedelta(days=3),
    )  # fmt: skip
    record = add_record(
        store, SYSTEM, case_id=case, act_id=None, kind="text", doc_kind="inquiry_record",
        title="询问笔录", details={"made_at": store.clock().isoformat(), "officer_ids": []},
    )  # fmt: skip
    return {"agency": agency, "case": case, "record": record, **who}


def _ask(store: Any, w: dict[str, Any]) -> str:
    register_request(
        store, w["officer"].actor, case_id=w["case"], kind="view", requester=REQUESTER,
        record_ids=[w["record"]], purpose="核对",
    )  # fmt: skip
    [waiting] = [a for a in inbox(store, w["deputy"].actor) if a.kind == "access_request"]
    return waiting.id


def _as_deputy(store: Any, w: dict[str, Any], approval: str) -> Any:
    return decide(
        store, w["deputy"].actor, approval, decision="approved", opinion="同意",
        position="deputy_head", final=True,
    )  # fmt: skip


def test_a_deputy_grants_only_with_an_authorisation_in_force(store, clock):
    w = _world(store)
    approval = _ask(store, w)
    with pytest.raises(InvalidInput) as refused:
        _as_deputy(store, w, approval)
    assert any("须经主要负责人授权" in d for d in refused.value.details)

    now = clock()
    with pytest.raises(PermissionDenied):  # the officer may not authorise anybody
        grant_authorisation(
            store, w["officer"].actor, user_id=w["deputy"].id, position="deputy_head",
            scope="access_request", starts_at=now, ends_at=now + timedelta(days=30),
            reference="林局授〔2026〕1号",
        )  # fmt: skip
    with pytest.raises(InvalidInput) as bad:
        grant_authorisation(
            store, w["chief"].actor, user_id=w["chief"].id, position="deputy_head",
            scope="access_request", starts_at=now, ends_at=None, reference="",
        )  # fmt: skip
    assert {d.split(":")[0] for d in bad.value.details} == {"user_id", "ends_at", "reference"}
    grant = grant_authorisation(
        store, w["chief"].actor, user_id=w["deputy"].id, position="deputy_head",
        scope="access_request", starts_at=now, ends_at=now + timedelta(days=30),
        reference="林局授〔2026〕1号",
    )  # fmt: skip
    decided = _as_deputy(store, w, approval)
    assert decided.closed and decided.outcome == "approved"
    [listed] = list_grants(store, w["chief"].actor)
    assert listed.id == grant and listed.state(clock()) == "active"
    with store.read() as conn:
        actions = [
            r[0]
            for r in conn.execute(
                select(t.ledger_events.c.action).where(
                    t.ledger_events.c.action.like("authorisation.%")
                )
            )
        ]
    assert actions == ["authorisation.granted"]


def test_an_expired_or_revoked_authorisation_no_longer_serves(store, clock):
    w = _world(store)
    now = clock()
    short = grant_authorisation(
        store, w["chief"].actor, user_id=w["deputy"].id, position="deputy_head",
        scope="access_request", starts_at=now, ends_at=now + timedelta(days=1),
        reference="林局授〔2026〕2号",
    )  # fmt: skip
    clock.advance(days=2)
    with pytest.raises(InvalidInput, match="审批意见有误"):
        _as_deputy(store, w, _ask(store, w))
    assert list_grants(store, w["chief"].actor)[0].state(clock()) == "expired"

    longer = grant_authorisation(
        store, w["chief"].actor, user_id=w["deputy"].id, position="deputy_head",
        scope="access_request", starts_at=clock(), ends_at=clock() + timedelta(days=90),
        reference="林局授〔2026〕3号",
    )  # fmt: skip
    revoke_authorisation(store, w["chief"].actor, longer, reason="分工调整")
    approval = inbox(store, w["deputy"].actor)[0].id
    with pytest.raises(InvalidInput):
        _as_deputy(store, w, approval)
    states = {g.id: g.state(clock()) for g in list_grants(store, w["chief"].actor)}
    assert states == {short: "expired", longer: "revoked"}
    # the principal head grants it in their own capacity, no authorisation needed
    done = decide(
        store, w["chief"].actor, approval, decision="approved", opinion="同意",
        position="principal_head", final=True,
    )  # fmt: skip
    assert done.outcome == "approved"


def test_the_principal_head_grants_and_revokes_on_the_web(store, clock):
    import re

    from fastapi.testclient import TestClient
    from tests.helpers import web_login

    from liuhen.web.app import create_app

    w = _world(store)
    app = create_app(store.settings, store=store)
    chief = TestClient(app, base_url="http://127.0.0.1")
    assert web_login(chief, "chief", PASSWORD).status_code == 303
    page = chief.get("/authorisations").text
    assert "登记授权（主要负责人）" in page and "钱副局长" in page and "尚未登记授权" in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {
        "csrf": token,
        "user_id": w["deputy"].id,
        "position": "deputy_head",
        "scope": "access_request",
        "starts_at": "",
        "ends_at": "",
        "reference": "林局授〔2026〕5号",
    }
    missing = chief.post("/authorisations", data=form)
    assert missing.status_code == 400 and "请填写「截止时间」" in missing.text
    assert list_grants(store, w["chief"].actor) == []
    until = (clock() + timedelta(days=30)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
    done = chief.post("/authorisations", data={**form, "ends_at": until}, follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = chief.get(done.headers["location"]).text
    assert "授权已登记" in shown and "林局授〔2026〕5号" in shown and "有效" in shown
    [grant] = list_grants(store, w["chief"].actor)
    revoked = chief.post(
        f"/authorisations/{grant.id}/revoke",
        data={"csrf": token, "reason": "分工调整"},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert "已撤销" in chief.get("/authorisations").text

    officer = TestClient(app, base_url="http://127.0.0.1")
    assert web_login(officer, "officer1", PASSWORD).status_code == 303
    seen = officer.get("/authorisations").text
    assert "林局授〔2026〕5号" in seen and "登记授权（主要负责人）" not in seen
    officer_token = re.search(r'name="csrf" value="([^"]+)"', seen).group(1)
    refused = officer.post("/authorisations", data={**form, "csrf": officer_token})
    assert refused.status_code == 403
