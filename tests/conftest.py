"""Shared fixtures: settings on SQLite and on PostgreSQL, an initialised store, a clock.

With CI=true, tests that need PostgreSQL or Chromium must run: a missing service fails
the run instead of skipping. On a developer's machine they skip with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from liuhen.config import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get(
    "LIUHEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN_PASSWORD = "Admin-pass-2026"


def need(condition: bool, reason: str) -> None:
    """Skip on a developer machine, fail in CI, when a real service is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_admin_engine():  # type: ignore[no-untyped-def]
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        engine.dispose()
        need(False, f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_database(pg_admin_engine) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"liuhen_t_{uuid.uuid4().hex[:12]}"
    with pg_admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with pg_admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class FakeClock:
    """A controllable clock (the only fake we use: time is outside our control)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 20, 1, 0, tzinfo=UTC))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    env = {"LIUHEN_DATA_DIR": str(tmp_path / "data"), "LIUHEN_ENV": "test"}
    if request.param == "postgres":
        env["LIUHEN_DATABASE_URL"] = request.getfixturevalue("pg_database")
    return Settings.from_env(env)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"LIUHEN_DATA_DIR": str(tmp_path / "data"), "LIUHEN_ENV": "test"})


@pytest.fixture
def store(settings: Settings, clock: FakeClock):  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    s = Store.open(settings, clock=clock)
    yield s
    s.close()
