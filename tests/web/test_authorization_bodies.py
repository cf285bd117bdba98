"""Ids in bodies (issue 13, scope without holes): every write that names an object in its
form, JSON body, query or tus metadata, sent on agency 甲's own case with agency 乙's object
by every role of 甲 that may do the write, is refused with nothing written and no 乙 case
number shown; the same write with 甲's own object passes that check. On SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.helpers import web_login
from tests.web.authz_bodies import BODIES, objects, writes
from tests.web.authz_foreign import build_foreign
from tests.web.authz_world import PASSWORD, build_world, expected

from liuhen.services.permissions import ALL, GRANTS, ROLES
from liuhen.store.store import Store
from liuhen.web.app import create_app

TUS = {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Upload-Length": "10"}


@pytest.fixture
def far_world(settings, clock, tmp_path: Path):  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise

    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    built = build_world(store, tmp_path)
    yield store, built, build_foreign(store, built, tmp_path)
    store.close()


def _client(app: Any, username: str) -> tuple[TestClient, str]:
    client = TestClient(app, base_url="http://127.0.0.1")
    assert web_login(client, username, PASSWORD).status_code == 303
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text)
    assert csrf is not None
    return client, csrf.group(1)


def _send(client: TestClient, csrf: str, path: str, kwargs: dict[str, Any]) -> Any:
    kwargs = dict(kwargs)
    kwargs["headers"] = {"X-CSRF-Token": csrf, **kwargs.get("headers", {})}
    if "data" in kwargs:
        kwargs["data"] = {"csrf": csrf, **kwargs["data"]}
    return client.request("POST", path, follow_redirects=False, **kwargs)


@pytest.mark.slow
def test_ids_in_bodies_of_another_agency_are_refused_and_own_ones_pass(far_world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from liuhen.media.synthetic import make_photo

    store, built, far = far_world
    app = create_app(store.settings, store=store)
    clients = {role: _client(app, username) for role, username in built.users.items()}
    mine, theirs = objects(store, built, far)
    own_case = built.cases["own"]["case"]
    photos = [make_photo(tmp_path / f"IMG_{n}.jpg", taken_at=None).read_bytes() for n in range(2)]
    allows, leaks, failed_controls, tried = [], [], [], 0
    for body in BODIES:
        path = body.path.replace("{case}", own_case)
        roles = [r for r in ROLES if expected(r, body.action, "own") == "allowed"]
        assert roles, body.name
        for role in roles:
            if not body.across and GRANTS[role].get(body.action) == ALL:
                continue  # a grant over every agency may make 乙's device
            client, csrf = clients[role]
            before = writes(store)
            sent = body.send({**theirs, "case": own_case, "photo": photos[0]})
            response = _send(client, csrf, path, sent)
            tried += 1
            assert response.status_code < 500, (body.name, role, response.text[:300])
            if writes(store) != before or response.status_code in (201, 303):
                allows.append(f"{body.name} as {role}: {response.status_code}")
            elif body.passed and response.status_code not in (403, 404):
                if body.passed not in response.text:  # refused later, for another reason
                    allows.append(f"{body.name} as {role}: past the check")
            if far.number in response.text:
                leaks.append(f"{body.name} as {role}")
        client, csrf = clients[roles[0]]
        before = writes(store)
        response = _send(
            client, csrf, path, body.send({**mine, "case": own_case, "photo": photos[1]})
        )
        if body.passed is None and writes(store) == before:
            failed_controls.append(
                f"{body.name}: {response.status_code} {_problems(response.text)}"
            )
        if body.passed is not None and body.passed in response.text:
            failed_controls.append(f"{body.name}: own object refused too")
    assert not allows, "unexpected allows:\n" + "\n".join(allows)
    assert not leaks, "refusals naming 乙's case:\n" + "\n".join(leaks)
    assert not failed_controls, "controls that did not pass:\n" + "\n".join(failed_controls)
    assert tried >= len(BODIES)


def test_ids_in_query_strings_and_upload_metadata_are_checked_like_path_ids(far_world) -> None:  # type: ignore[no-untyped-def]
    """乙's case named in ``/uploads?case=``, in the docking-station API's ``case=`` and in
    a tus upload's metadata is refused; 乙's case in the view log's filter shows nothing."""
    from liuhen.services.av.upload_staging import encode_metadata

    store, built, far = far_world
    app = create_app(store.settings, store=store)
    clients = {
        role: _client(app, built.users[role])
        for role in ("officer", "custodian", "head", "supervisor")
    }
    far_case = built.cases["other_agency"]
    for role in ("officer", "custodian"):
        client, csrf = clients[role]
        page = client.get("/uploads", params={"case": far_case["case"]})
        assert page.status_code == 403 and far.number not in page.text, role
        sent = client.post(
            "/api/av/files", params={"filename": "IMG_1.jpg", "case": far_case["case"]},
            headers={"X-CSRF-Token": csrf}, content=b"\xff\xd8\xff\xd9",
        )  # fmt: skip
        assert sent.status_code == 403 and far.number not in sent.text, (role, sent.text)
        meta = encode_metadata({"filename": "DSJ_1.mp4", "case": far_case["case"]})
        created = client.post(
            "/api/uploads",
            headers={"X-CSRF-Token": csrf, **TUS, "Upload-Metadata": meta},
        )
        assert created.status_code == 403 and far.number not in created.text, role
    for role in ("head", "custodian", "supervisor"):
        client, _ = clients[role]
        views = client.get("/ledger/views", params={"case": far.number})
        assert views.status_code == 200 and far_case["case"] not in views.text, role


def _problems(page: str) -> str:
    """The messages of a refused form or JSON error, for the failure report."""
    found = re.findall(r'class="field-error">([^<]+)<|<li>([^<]+)</li>', page)
    found = [a or b for a, b in found if "form-errors" in page]
    return "; ".join(found)[:400] or page[:200]


def test_a_record_or_execution_naming_another_case_act_or_document_is_refused(far_world) -> None:  # type: ignore[no-untyped-def]
    """The services behind the forms (and the bundle import): an act or a document of 乙's
    case named in 甲's record or execution is "not in this case", and nothing is written."""
    from datetime import timedelta

    from tests.helpers import SYSTEM

    from liuhen.errors import InvalidInput, NotFound
    from liuhen.services.cases.records import add_record
    from liuhen.services.cases.serving import record_execution

    store, built, _far = far_world
    own, other = built.cases["own"], built.cases["other_agency"]
    before = writes(store)
    with pytest.raises(NotFound, match="本案中没有执法环节") as refused:
        add_record(
            store, SYSTEM, case_id=own["case"], act_id=other["act"], kind="text",
            doc_kind="inspection_record", title="现场检查笔录",
            details={"made_at": store.clock().isoformat(), "officer_ids": []},
        )  # fmt: skip
    assert other["number"] not in refused.value.message
    with pytest.raises(InvalidInput) as bad:
        record_execution(
            store, SYSTEM, case_id=own["case"], kind="performance",
            at=store.clock() - timedelta(hours=1), document_ids=[other["record"]],
        )  # fmt: skip
    assert "document_ids: 相关文书不属于本案" in str(bad.value)
    assert writes(store) == before
