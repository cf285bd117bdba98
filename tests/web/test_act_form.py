"""The act form and the bundle API follow the service's checks of an act: the form offers
only the acts of the case's procedure, and a refused act (or bundle) changes nothing and
says, in Chinese, which field is wrong."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.helpers import make_case_with_files, web_login

from liuhen.services.admin.users import add_user
from liuhen.store import tables as t
from liuhen.web.app import create_app

PASSWORD = "Officer-pass-2026"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/township-general-penalty.json"


@pytest.fixture
def site(store: Any, tmp_path: Path) -> dict[str, Any]:
    made = make_case_with_files(store, tmp_path)
    from tests.helpers import SYSTEM

    add_user(
        store,
        SYSTEM,
        username="zhangsan",
        password=PASSWORD,
        display_name="张三",
        roles=["officer"],
        agency_id=made["agency"],
        officer_id=made["o1"],
    )
    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    assert web_login(client, "zhangsan", PASSWORD).status_code == 303
    page = client.get(f"/cases/{made['case']}/acts/new")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return {**made, "client": client, "csrf": csrf.group(1), "form": page.text}


def _acts(store: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.acts)).scalar_one())


def test_the_act_form_offers_only_the_acts_of_the_procedure(site: dict[str, Any]) -> None:
    form = site["form"]
    assert 'value="inspection"' in form and 'value="seal_up"' in form  # a penalty case
    assert 'value="on_the_spot_penalty"' not in form and 'value="demolish"' not in form


def test_an_act_the_procedure_has_not_is_refused_beside_its_field(
    site: dict[str, Any], store: Any
) -> None:
    before, events = _acts(store), store.event_count()
    refused = site["client"].post(
        f"/cases/{site['case']}/acts/new",
        data={
            "csrf": site["csrf"],
            "kind": "demolish",
            "started_at": "2026-11-20T10:00",
            "ended_at": "2026-11-20T09:00",
            "officer_ids": [site["o1"], site["o2"]],
            "certificates_shown": "yes",
        },
        follow_redirects=False,
    )
    assert refused.status_code == 400
    assert "一般程序案件没有“强制拆除”环节" in refused.text
    assert "结束时间早于开始时间" in refused.text
    assert (_acts(store), store.event_count()) == (before, events)


def test_the_bundle_api_refuses_an_act_its_procedure_has_not(store: Any, tmp_path: Path) -> None:
    from liuhen.services.admin.users import find_user

    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    assert find_user(store, "admin") is not None
    assert web_login(client, "admin", "Admin-pass-2026").status_code == 303
    bundle = json.loads(EXAMPLE.read_text("utf-8"))
    bundle["acts"][0]["kind"] = "on_the_spot_penalty"
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/calendar").text)
    assert token is not None
    response = client.post(
        "/api/cases/import", json=bundle, headers={"X-CSRF-Token": token.group(1)}
    )
    assert response.status_code == 400, response.text
    assert response.json()["details"][0].startswith(
        "$.acts[0].kind: 一般程序案件没有“当场处罚”环节"
    )
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.cases)).scalar_one() == 0
