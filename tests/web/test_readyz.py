"""``/readyz``: ready with every check named, on both engines; 503 naming what is wrong
when the node cannot sign (its key file lost) or its schema is behind (or ahead of) this
version."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from liuhen.store.store import Store
from liuhen.web.app import create_app


def _ready(store: Store) -> tuple[int, dict]:  # type: ignore[type-arg]
    with TestClient(create_app(store.settings, store=store)) as client:
        answer = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # alive either way
    return answer.status_code, answer.json()


def test_a_node_with_everything_in_place_is_ready(store):
    status, body = _ready(store)
    assert status == 200 and body["status"] == "ready"
    checks = {c["name"]: c for c in body["checks"]}
    assert list(checks) == ["database", "store", "key", "disk", "calendar"]
    assert all(c["status"] != "fail" for c in checks.values())
    assert store.fingerprint in checks["key"]["summary"]


def test_a_node_that_lost_its_key_is_not_ready_and_says_why(store, clock):
    store.settings.signing_key_path.unlink()
    keyless = Store.open(store.settings, clock=clock)
    try:
        status, body = _ready(keyless)
    finally:
        keyless.close()
    assert status == 503 and body["status"] == "not ready"
    key = next(c for c in body["checks"] if c["name"] == "key")
    assert key["status"] == "fail" and "不存在" in key["summary"] and key["fix"]


def test_a_node_whose_schema_is_behind_is_not_ready(store):
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0015'"))
    status, body = _ready(store)
    database = body["checks"][0]
    assert status == 503 and database["status"] == "fail"
    assert "0015" in database["summary"] and "liuhen init" in database["fix"]


def test_a_node_older_than_its_database_is_not_ready_and_nothing_writes(store, monkeypatch):
    """Another node already upgraded the schema: this older one is not ready, and its CLI and
    ``init`` refuse with one line instead of writing to (or downgrading) a newer schema."""
    from tests.helpers import run_cli

    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9001'"))
    status, body = _ready(store)
    database = body["checks"][0]
    assert status == 503 and database["status"] == "fail"
    assert "9001 新于本版本" in database["summary"] and "新版本" in database["fix"]
    monkeypatch.setenv("LIUHEN_ENV", "test")
    monkeypatch.setenv("LIUHEN_DATA_DIR", str(store.settings.data_dir))
    if store.settings.is_sqlite:
        monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("LIUHEN_DATABASE_URL", store.settings.database_url)
    for args in (["cases"], ["init"]):
        result = run_cli(args)
        assert result.code == 2 and "9001 新于本版本" in result.err, (args, result.err)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9001"
