"""Shared fixtures: settings on SQLite and on PostgreSQL, an initialised store, a clock.

The schema is migrated once a session (per xdist worker) into a template: a SQLite file
copied into each test's data directory, a PostgreSQL database each test's database is
created from. ``initialise`` still runs per test and finds the schema at head. Tests of the
migrations themselves take ``empty_settings`` and migrate from scratch.

With CI=true, tests that need PostgreSQL or Chromium must run: a missing service fails
the run instead of skipping. On a developer's machine they skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
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
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


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


def _pg_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _create_pg_database(admin_engine, template: str | None = None) -> str:  # type: ignore[no-untyped-def]
    name = f"liuhen_t_{WORKER}_{uuid.uuid4().hex[:12]}"
    with admin_engine.connect() as conn:
        conn.execute(
            text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        )
    return name


def _drop_pg_database(admin_engine, name: str) -> None:  # type: ignore[no-untyped-def]
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_database(pg_admin_engine) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    name = _create_pg_database(pg_admin_engine)
    yield _pg_url(name)
    _drop_pg_database(pg_admin_engine, name)


def _migrate(settings: Settings) -> None:
    from liuhen.services.setup import ensure_schema

    ensure_schema(settings)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated from scratch once a session, for tests to copy."""
    root = tmp_path_factory.mktemp("sqlite-template")
    settings = Settings.from_env({"LIUHEN_DATA_DIR": str(root / "data"), "LIUHEN_ENV": "test"})
    _migrate(settings)
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    assert not database.with_name(database.name + "-wal").exists(), "template left a WAL"
    return database


@pytest.fixture(scope="session")
def pg_template(pg_admin_engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A PostgreSQL database migrated from scratch once a session (one per xdist worker);
    each test's database is created from it with CREATE DATABASE … TEMPLATE."""
    name = _create_pg_database(pg_admin_engine)
    root = tmp_path_factory.mktemp("pg-template")
    _migrate(
        Settings.from_env(
            {
                "LIUHEN_DATA_DIR": str(root / "data"),
                "LIUHEN_ENV": "test",
                "LIUHEN_DATABASE_URL": _pg_url(name),
            }
        )
    )
    yield name
    _drop_pg_database(pg_admin_engine, name)


class Templates:
    """Settings whose database already has the schema at head, copied from the session's
    templates; ``initialise`` has not run on them. Session-scoped, so module- and
    session-scoped fixtures can use it too (they drop a PostgreSQL database with ``drop``)."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def settings(
        self, data_dir: Path, *, engine: str = "sqlite", env: dict[str, str] | None = None
    ) -> Settings:
        values = {"LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_ENV": "test", **(env or {})}
        if engine == "postgres":
            admin = self._request.getfixturevalue("pg_admin_engine")
            template = self._request.getfixturevalue("pg_template")
            values["LIUHEN_DATABASE_URL"] = _pg_url(_create_pg_database(admin, template))
        settings = Settings.from_env(values)
        if settings.is_sqlite:
            data_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(
                self._request.getfixturevalue("sqlite_template"),
                settings.database_url.removeprefix("sqlite:///"),
            )
        return settings

    def drop(self, settings: Settings) -> None:
        if not settings.is_sqlite:
            admin = self._request.getfixturevalue("pg_admin_engine")
            _drop_pg_database(admin, settings.database_url.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def templates(request: pytest.FixtureRequest) -> Templates:
    return Templates(request)


@pytest.fixture
def make_settings(request: pytest.FixtureRequest, templates: Templates) -> Callable[..., Settings]:
    """``make_settings(data_dir, engine="sqlite", env={...})``: ``Templates.settings`` for
    one test; a PostgreSQL database made here is dropped after the test."""

    def make(
        data_dir: Path, *, engine: str = "sqlite", env: dict[str, str] | None = None
    ) -> Settings:
        settings = templates.settings(data_dir, engine=engine, env=env)
        request.addfinalizer(lambda: templates.drop(settings))
        return settings

    return make


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


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path: Path, make_settings) -> Settings:  # type: ignore[no-untyped-def]
    """Test settings on each engine, the schema at head, not yet initialised."""
    return make_settings(tmp_path / "data", engine=request.param)


@pytest.fixture(params=ENGINES)
def empty_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Test settings on each engine with an empty database: for tests of the migrations."""
    env = {"LIUHEN_DATA_DIR": str(tmp_path / "data"), "LIUHEN_ENV": "test"}
    if request.param == "postgres":
        env["LIUHEN_DATABASE_URL"] = request.getfixturevalue("pg_database")
    return Settings.from_env(env)


@pytest.fixture
def sqlite_settings(tmp_path: Path, make_settings) -> Settings:  # type: ignore[no-untyped-def]
    return make_settings(tmp_path / "data")


@pytest.fixture
def store(settings: Settings, clock: FakeClock):  # type: ignore[no-untyped-def]
    from liuhen.services.setup import initialise
    from liuhen.store.store import Store

    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    s = Store.open(settings, clock=clock)
    yield s
    s.close()
