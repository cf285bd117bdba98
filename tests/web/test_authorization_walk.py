"""Done-means of access control: every route of the app and every CLI command, for every
role, on an own case, another section's case, a confidential case, another agency's case
and a missing one, does what docs/permissions.md says (allowed / 403 / 404). A route or
command that does not declare its action fails the test."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.routing import Mount
from tests.helpers import run_cli, web_login
from tests.web.authz_foreign import build_foreign, expected_foreign, takes_an_id, variants
from tests.web.authz_world import (
    KINDS,
    PASSWORD,
    UNOWNED,
    World,
    build_world,
    case_scoped,
    expected,
    fill,
    names_unowned,
    outcome,
)
from tests.web.authz_world import route_action as declared_action

from liuhen.services.permissions import ACTIONS, ROLES
from liuhen.store import tables as t
from liuhen.store.store import Store
from liuhen.web.app import create_app
from liuhen.web.auth.permission import PUBLIC_ROUTES, SIGNED_IN_ROUTES, app_routes


@pytest.fixture
def world(sqlite_settings, clock, tmp_path: Path):  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise

    initialise(sqlite_settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(sqlite_settings, clock=clock)
    built = build_world(store, tmp_path)
    yield store, built
    store.close()


def _walked_app(store: Store) -> Any:
    """The app, its job runner stopped: an allowed POST that asks for an export or a
    四性 check queues its job (what the walk checks) and no job runs beside the walk."""
    app = create_app(store.settings, store=store)
    app.state.jobs.stop()
    return app


def _denials(store: Store) -> int:
    with store.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.ledger_events)
                .where(t.ledger_events.c.action == "access.denied")
            ).scalar()
        )


def _case_events(store: Store, case_id: str) -> int:
    with store.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.ledger_events)
                .where(t.ledger_events.c.case_id == case_id)
            ).scalar()
        )


def _clients(app: Any, world: World) -> dict[str, tuple[TestClient, str]]:
    clients = {}
    for role, username in world.users.items():
        client = TestClient(app, base_url="http://127.0.0.1")
        done = web_login(client, username, PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/cases", role
        page = client.get("/cases")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None, role
        clients[role] = (client, csrf.group(1))
    return clients


PG_KINDS = ("own", "other_section", "other_agency", "missing")
"""The case kinds walked on PostgreSQL (every route, every role): the confidential case's
refusal is decided on the loaded case the same way on both engines, and leaving it out keeps
the PostgreSQL walk near the SQLite one's time."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_world(request, make_settings, clock, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The world on SQLite and on PostgreSQL."""
    from liuhen.services.admin.setup import initialise

    settings = make_settings(tmp_path / "data", engine=request.param)
    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    built = build_world(store, tmp_path)
    yield store, built, KINDS if request.param == "sqlite" else PG_KINDS
    store.close()


@pytest.mark.slow
def test_every_route_is_declared_and_matches_the_matrix(engine_world) -> None:  # type: ignore[no-untyped-def]
    store, built, walked = engine_world
    app = _walked_app(store)
    clients = _clients(app, built)
    undeclared, unfillable, mismatches, unlogged = [], [], [], []
    requests = refusals = 0
    before = _denials(store)
    for path, route in app_routes(app.routes):
        if isinstance(route, Mount):
            assert path in PUBLIC_ROUTES, f"mount {path} not declared public"
            continue
        if path in PUBLIC_ROUTES:
            continue
        if not isinstance(route, APIRoute):
            undeclared.append(path)
            continue
        ok, action = declared_action(route)
        if not ok or (action is None and path not in SIGNED_IN_ROUTES):
            undeclared.append(f"{sorted(route.methods)} {path}")
            continue
        if action is not None:
            assert action in ACTIONS, f"{path}: unknown action {action}"
        kinds = walked if case_scoped(path) else (None,)
        for method in sorted(route.methods - {"HEAD"}):
            if path == "/logout":
                continue  # would end the session the walk is using
            for kind in kinds:
                target = fill(path, built.cases[kind] if kind else UNOWNED)
                if target is None:
                    unfillable.append(path)
                    break
                for role, (client, csrf) in clients.items():
                    seen = _case_events(store, built.cases[kind]["case"]) if kind else 0
                    if method == "GET":
                        response = client.get(target, follow_redirects=False)
                    else:
                        response = client.request(
                            method,
                            target,
                            data={"csrf": csrf, "kind": "inspection_record"},
                            headers={"X-CSRF-Token": csrf},
                            follow_redirects=False,
                        )
                    requests += 1
                    got = outcome(response.status_code, response.text)
                    refusals += got == "403"
                    want = expected(role, action, kind)
                    if got == "404" and want == "allowed" and names_unowned(path):
                        got = "allowed"  # past the check; the walk names no such upload/link
                    if got != want:
                        mismatches.append(f"{method} {target} as {role} ({kind}): {got} != {want}")
                    if got == "403":
                        assert "无权" in response.text  # a clear Chinese refusal
                    if kind and kind != "missing" and method == "GET" and got == "allowed":
                        if _case_events(store, built.cases[kind]["case"]) == seen:
                            unlogged.append(f"GET {path}")  # every case view is on the ledger
    assert not undeclared, "routes without a declared action: " + "; ".join(undeclared)
    assert not unfillable, "path parameters the walk cannot fill: " + "; ".join(unfillable)
    assert not mismatches, "\n".join(mismatches[:40])
    assert not unlogged, "case views not on the ledger: " + "; ".join(sorted(set(unlogged)))
    assert requests > 500 and refusals > 100
    assert _denials(store) - before == refusals  # every refusal is on the ledger


@pytest.fixture
def far_world(settings, clock, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The world and agency 乙's objects, on SQLite and on PostgreSQL."""
    from liuhen.services.admin.setup import initialise

    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    built = build_world(store, tmp_path)
    yield store, built, build_foreign(store, built, tmp_path)
    store.close()


TUS_HEADERS = {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Upload-Length": "10"}


@pytest.mark.slow
def test_objects_of_another_agency_are_never_let_in(far_world) -> None:  # type: ignore[no-untyped-def]
    """Every route that takes an id, with agency 乙's objects (all of them; 乙's footage no
    case holds; 甲's own case with 乙's objects under it), for every role of 甲: 0 allows
    beyond a grant over every agency. A refusal names no 乙 case number."""
    store, built, far = far_world
    app = _walked_app(store)
    clients = _clients(app, built)
    allows, leaks, tried = [], [], 0
    for path, route in app_routes(app.routes):
        if not isinstance(route, APIRoute) or path in PUBLIC_ROUTES or not takes_an_id(path):
            continue
        action = declared_action(route)[1]
        for variant, target in variants(path, built, far).items():
            assert target is not None, f"cannot fill {path}"
            for method in sorted(route.methods - {"HEAD"}):
                for role, (client, csrf) in clients.items():
                    headers = {"X-CSRF-Token": csrf, **TUS_HEADERS}
                    if method == "PATCH":
                        headers["Content-Type"] = "application/offset+octet-stream"
                    response = client.request(
                        method, target, headers=headers, follow_redirects=False,
                        data=None if method == "PATCH" else {"csrf": csrf, "reason": "测试"},
                        content=b"0123456789" if method == "PATCH" else None,
                    )  # fmt: skip
                    tried += 1
                    got = outcome(response.status_code, response.text)
                    if method == "OPTIONS" and got == "allowed":  # tus: the server's
                        assert far.ids["upload_id"] not in response.text  # capabilities only
                        continue
                    if path == "/api/av/files/{sha256}" and got == "allowed":
                        got = "403" if response.json()["record_id"] else "held"  # names nothing
                    if got == "allowed" and not expected_foreign(role, action, variant):
                        allows.append(f"{method} {target} ({variant}) as {role}")
                    if got == "403" and far.number in response.text:
                        leaks.append(f"{method} {target} ({variant}) as {role}")
    assert not allows, "unexpected allows:\n" + "\n".join(allows[:60])
    assert not leaks, "refusals naming 乙's case:\n" + "\n".join(leaks[:20])
    assert tried > 500


def test_case_lists_show_only_cases_in_scope(world) -> None:  # type: ignore[no-untyped-def]
    store, built = world
    app = _walked_app(store)
    clients = _clients(app, built)
    for role, (client, _) in clients.items():
        listed = {c["number"] for c in client.get("/api/cases").json()["cases"]}
        want = {
            ids["number"]
            for kind, ids in built.cases.items()
            if kind != "missing" and expected(role, "case.read", kind) == "allowed"
        }
        assert listed == want, role


def test_refusal_is_json_for_the_api_and_a_page_for_people(world) -> None:  # type: ignore[no-untyped-def]
    store, built = world
    app = _walked_app(store)
    client = TestClient(app, base_url="http://127.0.0.1")
    web_login(client, built.users["officer"], PASSWORD)
    other = built.cases["other_section"]
    api = client.get(f"/api/cases/{other['case']}/bundle")
    assert api.status_code == 403
    assert api.json()["error"] == "permission_denied" and "本人案件" in api.json()["message"]
    page = client.get(f"/cases/{other['number']}")
    assert page.status_code == 403 and "无权访问（403）" in page.text
    secret = client.get(f"/cases/{built.cases['confidential']['case']}")
    assert secret.status_code == 403
    with store.read() as conn:
        last = conn.execute(
            select(t.ledger_events).order_by(t.ledger_events.c.seq.desc()).limit(1)
        ).first()
    assert last is not None and last.action == "access.denied"
    assert last.case_id == built.cases["confidential"]["case"]


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix}{name} ")
        else:
            names.append(prefix + name)
    return names


@pytest.mark.slow
def test_every_cli_command_is_declared_and_matches_the_matrix(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from liuhen.cli import COMMAND_ACTIONS, cli

    store, built = world
    missing = [name for name in _commands(cli) if name not in COMMAND_ACTIONS]
    assert not missing, f"CLI commands without a declared action: {missing}"
    base = ["--data-dir", str(store.settings.data_dir)]
    empty = tmp_path / "empty"
    empty.mkdir()
    bundle = Path(__file__).resolve().parents[2] / "docs/examples/township-general-penalty.json"
    schedule = Path(__file__).resolve().parents[1] / "data/holidays-2027-test.yaml"
    plain = {
        "cases": ["cases", "--json"],
        "verify": ["verify", "--json"],
        "ledger checkpoint": ["ledger", "checkpoint", "--json"],
        "ledger proof": ["ledger", "proof", "1", "--json"],
        "fixity": ["fixity", "--limit", "1"],
        "user add": ["user", "add", "newbie", "--name", "新人", "--role", "officer",
                     "--password", PASSWORD],
        "user disable": ["user", "disable", "newbie", "--reason", "测试"],
        "user enable": ["user", "enable", "newbie"],
        "user reset-totp": ["user", "reset-totp", "newbie", "--reason", "测试"],
        "import": ["import", str(bundle)],
        "import-av": ["import-av", str(empty)],
        "station add": ["station", "add", "采集站", "--user", "u_officer", "--json"],
        "station list": ["station", "list", "--json"],
        "station revoke": ["station", "revoke", "no-such-station"],
        "clean-uploads": ["clean-uploads"],
        "calendar show": ["calendar", "show", "--json"],
        "calendar load": ["calendar", "load", str(schedule), "--source", "测试用安排"],
        "witness list": ["witness", "list", "--json"],
        # past the check, a relative folder is refused (exit 2): the check itself is walked
        "witness add": ["witness", "add", "relative-folder"],
        "ledger rotate-key": ["ledger", "rotate-key", "--json"],
    }  # fmt: skip
    by_case = {
        "export-bundle": lambda ids, out: [
            "export-bundle",
            ids["case"],
            "--out",
            str(out / "b.json"),
        ],
        "export": lambda ids, out: ["export", ids["case"], "--out", str(out / "pkg")],
        "case-file": lambda ids, out: ["case-file", ids["case"], "--out", str(out / "f.pdf")],
        # past the check, these refuse for the case's state (open case, retention not over)
        "file-case": lambda ids, out: [
            "file-case",
            ids["case"],
            "--custodian",
            "u_custodian",
            "--json",
        ],
        "retention": lambda ids, out: ["retention", ids["record"], "--json"],
        # past the check, a text record is refused (no picture to scan)
        "detect-faces": lambda ids, out: ["detect-faces", ids["record"], "--json"],
        "dispose": lambda ids, out: [
            "dispose",
            ids["record"],
            "--request",
            "--reason",
            "期满",
            "--json",
        ],
    }
    by_state = {"file-case", "dispose", "detect-faces"}
    skipped = {name for name, action in COMMAND_ACTIONS.items() if action is None} | {"demo"}
    assert set(plain) | set(by_case) | skipped == set(COMMAND_ACTIONS)
    mismatches = []
    n = 0
    for role, username in built.users.items():
        for name, args in plain.items():
            result = run_cli([*base, "--as", username, *args])
            got = "403" if result.code == 3 else "allowed"
            if got != expected(role, COMMAND_ACTIONS[name], None):
                mismatches.append(f"{name} as {role}: {got} ({result.err.strip()[:120]})")
        for name, make in by_case.items():
            for kind in KINDS:
                n += 1
                out = tmp_path / f"out{n}"
                out.mkdir()
                result = run_cli([*base, "--as", username, *make(built.cases[kind], out)])
                got = {3: "403", 0: "allowed"}.get(result.code, "404")
                if got == "404" and name in by_state and '"not_found"' not in result.err:
                    got = "allowed"  # refused for the state of the case, after the check
                if got == "404":
                    assert "没有" in result.err or "不存在" in result.err, result.err
                if got != expected(role, COMMAND_ACTIONS[name], kind):
                    mismatches.append(
                        f"{name} {kind} as {role}: {got} ({result.err.strip()[:120]})"
                    )
        if role in ("officer", "admin"):  # loading the demo: refused, or done once
            got = "403" if run_cli([*base, "--as", username, "demo"]).code == 3 else "allowed"
            if got != expected(role, "demo.load", None):
                mismatches.append(f"demo as {role}: {got}")
    assert not mismatches, "\n".join(mismatches)
    assert ROLES  # every role walked


def test_a_case_named_in_the_upload_page_query_is_checked_like_one_in_the_path(world) -> None:  # type: ignore[no-untyped-def]
    """``/uploads?case=ID`` shows that case's acts: the id is checked (av.upload on the case)
    before anything of the case is read, exactly as a case id in the path would be."""
    store, built = world
    app = _walked_app(store)
    client = TestClient(app, base_url="http://127.0.0.1")
    assert web_login(client, built.users["officer"], PASSWORD).status_code == 303
    own, other = built.cases["own"], built.cases["other_agency"]
    shown = client.get("/uploads", params={"case": own["case"]})
    assert shown.status_code == 200 and own["number"] in shown.text and "upload-form" in shown.text
    refused = client.get("/uploads", params={"case": other["case"]})
    assert refused.status_code == 403 and "upload-form" not in refused.text
    assert client.get("/uploads", params={"case": "no-such-case"}).status_code == 404
