"""A database connection killed in the middle of a write (PostgreSQL terminates it, as an
administrator's ``pg_terminate_backend`` or a restart does) answers in the project's format:
``liuhen import`` and ``import-av`` print one line and exit 4, the web answers 503 with a
Chinese page and the API with JSON; nothing half-written stays. A decision another process
took first answers 409 the same way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from tests.helpers import SYSTEM, run_cli, web_login

from liuhen.errors import Unavailable
from liuhen.media.synthetic import make_recording
from liuhen.services.admin.agency import create_agency
from liuhen.store import tables as t
from liuhen.store.store import Store
from liuhen.web.app import create_app

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Admin-pass-2026"
DIE = """
CREATE FUNCTION liuhen_test_die() RETURNS trigger AS $$
BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER liuhen_test_die BEFORE INSERT ON ledger_events
FOR EACH ROW EXECUTE FUNCTION liuhen_test_die();
"""
EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/township-general-penalty.json"


def kill_writers(url: str) -> None:
    """From now on, a connection that appends a ledger event is terminated on the spot."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(DIE)
    finally:
        engine.dispose()


def events(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.ledger_events)).scalar())
    finally:
        engine.dispose()


@pytest.fixture
def pg(make_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A PostgreSQL store the CLI uses (``liuhen init`` run), with one agency; its URL."""
    settings = make_settings(tmp_path / "data", engine="postgres")
    env = {
        "LIUHEN_DATA_DIR": str(tmp_path / "data"),
        "LIUHEN_DATABASE_URL": settings.database_url,
        "LIUHEN_ADMIN_PASSWORD": PASSWORD,
        "LIUHEN_ENV": "test",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("LIUHEN_STORE_URL", raising=False)
    assert run_cli(["init", "--json"]).code == 0
    store = Store.open(settings)
    try:
        create_agency(store, SYSTEM, name="测试镇人民政府", profile_id="shanxi-township")
    finally:
        store.close()
    yield settings.database_url


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.postgres
def test_import_av_with_its_connection_killed_prints_one_line(pg: str, tmp_path: Path) -> None:
    start = (datetime.now(TZ) - timedelta(hours=2)).replace(microsecond=0)
    make_recording(tmp_path / "dock" / "DSJ-V9-0001", start=start, pauses=(0,))
    before = events(pg)
    kill_writers(pg)
    result = run_cli(["import-av", str(tmp_path / "dock")])
    assert result.code == Unavailable.exit_code, result
    assert one_line(result.err).startswith("错误：数据库暂时无法访问")
    assert events(pg) == before


@pytest.mark.postgres
def test_import_with_its_connection_killed_prints_one_line(pg: str) -> None:
    kill_writers(pg)
    result = run_cli(["import", str(EXAMPLE)])
    assert result.code == Unavailable.exit_code, result
    assert "本次操作未保存，请稍后重试" in one_line(result.err)
    json_result = run_cli(["import", str(EXAMPLE), "--json"])
    assert json_result.code == Unavailable.exit_code
    assert '"error": "unavailable"' in one_line(json_result.err)


def _decider(store: Any) -> tuple[TestClient, str, str]:
    """A head signed in, and an approval waiting for them: (client, approval id, csrf)."""
    from tests.factories import make_users

    from liuhen.services.approvals.workflow import request_approval
    from liuhen.services.cases.cases import open_case

    agency = create_agency(store, SYSTEM, name="并发测试局", profile_id="shanxi-township")
    users = make_users(store, agency, {"zhang": ("张三", "officer"), "liu": ("刘局长", "head")})
    case = open_case(
        store, users["zhang"].actor, agency_id=agency, number="测试〔2026〕9号", title="某案",
        procedure="general", party={"kind": "person", "name": "王某"}, opened_at=store.clock(),
    )  # fmt: skip
    approval = request_approval(
        store, users["zhang"].actor, case_id=case, kind="initiation", opinion="建议立案"
    )
    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    from tests.factories import PASSWORD as USER_PASSWORD

    assert web_login(client, "liu", USER_PASSWORD).status_code == 303
    page = client.get("/approvals")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return client, approval, csrf.group(1)


def _decide(client: TestClient, approval: str, csrf: str) -> Any:
    return client.post(
        f"/approvals/{approval}/decide",
        data={"csrf": csrf, "position": "principal_head", "decision": "approved",
              "opinion": "同意", "final": "1"},
        follow_redirects=False,
    )  # fmt: skip


def test_a_decision_taken_already_answers_409_in_chinese(store: Any) -> None:
    client, approval, csrf = _decider(store)
    assert _decide(client, approval, csrf).status_code == 303
    again = _decide(client, approval, csrf)
    assert again.status_code == 409
    assert "不能再审批" in again.text


@pytest.mark.postgres
def test_a_decision_with_its_connection_killed_answers_503_in_chinese(
    make_settings, tmp_path: Path, clock: Any
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import ADMIN_PASSWORD

    from liuhen.services.admin.setup import initialise

    settings = make_settings(tmp_path / "data", engine="postgres")
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        client, approval, csrf = _decider(store)
        kill_writers(settings.database_url)
        refused = _decide(client, approval, csrf)
        assert refused.status_code == 503
        assert "数据库暂时无法访问" in refused.text and "Traceback" not in refused.text
        with store.read() as conn:
            steps = t.approval_steps
            decided = select(func.count()).where(steps.c.approval_id == approval)
            assert conn.execute(decided).scalar() == 1  # the handler's step only
    finally:
        store.close()
