"""Runners and sign-in helpers shared by the test levels (the factories are in factories.py)."""

from __future__ import annotations

import io
import json
from collections.abc import Collection
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liuhen.store.store import Store
from tests.factories import SYSTEM, make_case_with_files, make_users

__all__ = [  # SYSTEM and make_case_with_files live in factories.py; many tests take them here
    "SYSTEM",
    "CliResult",
    "add_people",
    "browser_login",
    "make_case_with_files",
    "reseal_bag",
    "run_cli",
    "totp_secret",
    "web_login",
]


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


def add_people(
    store: Store, agency: str, people: dict[str, tuple[str, str]], password: str
) -> dict[str, Any]:
    """Users of ``agency``: username -> (display name, role); returns them by role."""
    made = make_users(store, agency, people, password=password)
    return {people[username][1]: user for username, user in made.items()}


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


def as_intruder(
    store: Store, *statements: str, tables: Collection[str] = (), **params: Any
) -> None:
    """Run ``statements`` (each with ``params``) as an intruder with database access would:
    around the insert-only guards of ``tables`` (dropped on SQLite, disabled on PostgreSQL)."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        for table in tables:
            if store.engine.dialect.name == "sqlite":
                for verb in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
            else:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        for sql in statements:
            conn.execute(text(sql), params)
        conn.commit()


def reseal_bag(bag: Path, keep: Collection[str] = ()) -> None:
    """Make a tampered package look like a valid bag again, as a careful intruder would: both
    payload manifests, ``Payload-Oxum`` and both tag manifests rewritten from the files now
    present, with the project's own manifest writer. Files named in ``keep`` (the tampered
    one itself) are left as they are."""
    from liuhen.archive.digests import file_digests
    from liuhen.archive.package import manifest_bytes

    files = sorted(p for p in bag.rglob("*") if p.is_file() and not p.is_symlink())
    rel = {p.relative_to(bag).as_posix(): p for p in files}
    payload = {r: file_digests(p)[:2] for r, p in rel.items() if r.startswith("data/")}
    for alg in ("sha256", "sm3"):
        if f"manifest-{alg}.txt" not in keep:
            (bag / f"manifest-{alg}.txt").write_bytes(manifest_bytes(payload, alg))
    info = bag / "bag-info.txt"
    if info.is_file() and "bag-info.txt" not in keep:
        size = sum(rel[r].stat().st_size for r in payload)
        lines = [
            f"Payload-Oxum: {size}.{len(payload)}" if line.startswith("Payload-Oxum:") else line
            for line in info.read_text("utf-8").splitlines()
        ]
        info.write_text("\n".join(lines) + "\n", "utf-8")
    tagmanifests = ("tagmanifest-sha256.txt", "tagmanifest-sm3.txt")
    now = {p.relative_to(bag).as_posix(): p for p in bag.rglob("*") if p.is_file()}
    tags = {
        r: file_digests(p)[:2]
        for r, p in now.items()
        if not p.is_symlink() and not r.startswith("data/") and r not in tagmanifests
    }
    for alg, name in zip(("sha256", "sm3"), tagmanifests, strict=True):
        if name not in keep:
            (bag / name).write_bytes(manifest_bytes(tags, alg))


def run_jobs(store: Store) -> int:
    """Run the cluster's waiting jobs to their end with a runner of this store (what any
    node's runner or ``liuhen jobs run`` does): a party's copies after the grant, an export;
    how many ran."""
    from liuhen.jobs.kinds import runner_for

    runner, ran = runner_for(store), 0
    while runner.run_one():
        ran += 1
    return ran
