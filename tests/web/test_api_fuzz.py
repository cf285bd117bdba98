"""The API under schemathesis, signed in as an officer: generated requests to every operation
of /api/openapi.json (in-process over ASGI, a bounded number per operation), plus every
operation aimed at the real ids of cases outside the officer's scope. No response may be a
server error, and none may carry a case the officer may not see."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from tests.web.authz_world import build_world

from liuhen.services.admin.sessions import COOKIE, start_session
from liuhen.services.admin.users import find_user
from liuhen.store.store import Store
from liuhen.web.app import create_app
from liuhen.web.auth.permission import CASE_PARAMS

EXAMPLES = 40


@pytest.fixture
def api(sqlite_settings, clock, tmp_path: Path):  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise

    initialise(sqlite_settings, admin_password="Admin-pass-2026", clock=clock)
    # the fuzzer sends thousands of calls in the test clock's one minute: no rate limit here
    # (tests/web/test_rate_limits.py tests it)
    unlimited = replace(sqlite_settings, api_rate_per_minute=0)
    store = Store.open(unlimited, clock=clock)
    world = build_world(store, tmp_path)
    user = find_user(store, world.users["officer"])
    assert user is not None
    token, _ = start_session(store, user)
    app = create_app(store.settings, store=store)
    yield app, {"Cookie": f"{COOKIE}={token}"}, world
    store.close()


def _secrets(world: Any) -> list[str]:
    """Ids and numbers of the cases (and their records) the officer may not see."""
    hidden = []
    for kind in ("other_section", "confidential", "other_agency"):
        ids = world.cases[kind]
        hidden += [ids["case"], ids["number"], ids["record"], ids["approval"]]
    return hidden


def _check(response: Any, hidden: list[str], where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    if response.status_code in (403, 404):
        return  # the refusal names the case asked for; it reveals none of its content
    leaked = [h for h in hidden if h in response.text]
    assert not leaked, f"{where}: response carries out-of-scope case data {leaked}"


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_leak(api) -> None:  # type: ignore[no-untyped-def]
    app, cookie, world = api
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=cookie)
    hidden = _secrets(world)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.path == "/api/cases" for op in operations)
    calls = 0
    for op in operations:

        @given(case=op.as_strategy())
        @hsettings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=cookie)
            _check(response, hidden, f"{case.method} {case.path}")

        fuzz()
        for kind in ("other_section", "confidential", "other_agency"):
            ids = world.cases[kind]
            params = {
                "case_ref": ids["number"],
                "record_id": ids["record"],
                "approval_id": ids["approval"],
                "request_id": ids["request"],
                "position": 1,
            }
            wanted = {name: params.get(name, "x") for name in _path_names(op.path)}
            if not set(wanted) & set(CASE_PARAMS):
                continue  # names nothing a case owns (an upload, a stored file)
            response = op.Case(path_parameters=wanted).call(headers=cookie)
            calls += 1
            _check(response, hidden, f"{op.method.upper()} {op.path} on {kind}")
            assert response.status_code in (403, 404, 422), (op.path, kind, response.status_code)
    print(f"{len(operations)} operations, {calls} calls")
    assert calls >= EXAMPLES * len(operations) // 2


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"{(\w+)}", path)
