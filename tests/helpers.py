"""Small factories and runners shared by the test levels."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from liuhen.ledger.events import Actor
from liuhen.store.store import Store

SYSTEM = Actor.system("测试")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(
    args: list[str], env: dict[str, str] | None = None, monkeypatch: Any = None
) -> CliResult:
    """Run ``liuhen ARGS`` in-process with the real entry point; return code and output."""
    from liuhen.cli import main

    if env and monkeypatch is not None:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


def make_case_with_files(
    store: Store, tmp: Path, *, number: str = "测试〔2026〕1号"
) -> dict[str, str]:
    """An agency, two officers, one case, an inspection act, a text record with a stored file."""
    from liuhen.services.admin.agency import add_officer, create_agency
    from liuhen.services.cases.cases import open_case
    from liuhen.services.cases.files import store_file
    from liuhen.services.cases.records import AttachedFile, add_record, record_act

    tz = store.settings.tz
    agency = create_agency(store, SYSTEM, name="测试镇人民政府", profile_id="shanxi-township")
    o1 = add_officer(store, SYSTEM, agency_id=agency, name="张三", certificate_no=f"C-{number}-1")
    o2 = add_officer(store, SYSTEM, agency_id=agency, name="李四", certificate_no=f"C-{number}-2")
    start = datetime(2026, 11, 20, 9, 0, tzinfo=tz)
    case = open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number=number,
        title="某店占道经营案",
        procedure="general",
        party={"kind": "organisation", "name": "某店"},
        opened_at=start,
    )
    act = record_act(
        store,
        SYSTEM,
        case_id=case,
        kind="inspection",
        started_at=start,
        ended_at=start + timedelta(minutes=30),
        place="老街1号",
        officer_ids=[o1, o2],
    )
    doc = tmp / "笔录.txt"
    doc.write_text("现场检查笔录：店外堆放货架。", encoding="utf-8")
    blob = store_file(store, SYSTEM, doc)
    record = add_record(
        store,
        SYSTEM,
        case_id=case,
        act_id=act,
        kind="text",
        doc_kind="inspection_record",
        title="现场检查笔录",
        details={
            "made_at": (start + timedelta(minutes=30)).isoformat(),
            "officer_ids": [o1, o2],
            "fields": {"findings": "店外堆放货架"},
        },
        files=[AttachedFile(blob.sha256, "笔录.txt", "text/plain")],
    )
    return {
        "agency": agency,
        "case": case,
        "act": act,
        "record": record,
        "blob": blob.sha256,
        "o1": o1,
        "o2": o2,
    }


def add_people(
    store: Store, agency: str, people: dict[str, tuple[str, str]], password: str
) -> dict[str, Any]:
    """Users of ``agency``: username -> (display name, role); returns them by role."""
    from liuhen.services.admin.users import add_user

    return {
        role: add_user(
            store,
            SYSTEM,
            username=username,
            password=password,
            display_name=name,
            roles=[role],
            agency_id=agency,
        )
        for username, (name, role) in people.items()
    }


def web_login(client: Any, username: str, password: str, *, code: str | None = None) -> Any:
    """Sign in through the real login form (with its CSRF token); return the response.

    Accounts that need a second factor (admin, head, custodian) go on through the TOTP
    page: enrolling at first sign-in, the code computed from the stored secret at the
    store's clock (or ``code`` when given, to test wrong codes)."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None, "login form without a CSRF token"
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": token.group(1), "next": "/cases"},
        follow_redirects=False,
    )
    if response.status_code != 303 or not response.headers["location"].startswith("/login/totp"):
        return response
    step = client.get(response.headers["location"])
    token = re.search(r'name="csrf" value="([^"]+)"', step.text)
    assert token is not None, "second-factor form without a CSRF token"
    if code is None:
        from liuhen.services.admin.totp import code_at
        from liuhen.services.admin.users import find_user

        store = client.app.state.store
        user = find_user(store, username)
        assert user is not None
        code = code_at(totp_secret(store, user.id), store.clock())
    return client.post(
        "/login/totp",
        data={"code": code, "csrf": token.group(1), "next": "/cases"},
        follow_redirects=False,
    )


def totp_secret(store: Store, user_id: str) -> str:
    from sqlalchemy import select

    from liuhen.store import tables as t

    with store.read() as conn:
        secret = conn.execute(select(t.users.c.totp_secret).where(t.users.c.id == user_id)).scalar()
    assert secret, "no TOTP secret: open the second-factor page first"
    return str(secret)


def browser_login(page: Any, base: str, username: str, password: str, store: Store) -> None:
    """Sign in through the login page in a real browser; accounts that need a second factor
    (admin, head, custodian) go on through the TOTP page with the code at the store's clock
    (enrolling at first sign-in). Stays on the page the sign-in lands on."""
    from liuhen.services.admin.totp import code_at
    from liuhen.services.admin.users import find_user

    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/login/totp" in page.url:
        user = find_user(store, username)
        assert user is not None
        page.fill("#code", code_at(totp_secret(store, user.id), store.clock()))
        page.click("button[type=submit]")
        page.wait_for_load_state()
