"""Shared fixtures: settings on SQLite and on PostgreSQL, an initialised store, a clock.

The schema is migrated once a session (per xdist worker) into a template: a SQLite file
copied into each test's data directory, a PostgreSQL database each test's database is
created from. ``store`` goes one step further: its store is a copy of one ``initialise`` ran
on once a session (per engine and clock start); other tests call ``initialise`` themselves
and find the schema at head. Tests of the migrations themselves take ``empty_settings`` and
migrate from scratch. Test clients share one event loop a session
(``one_portal_for_test_clients``).

The demo agencies are loaded once a session per engine: ``shared_demo`` / ``sqlite_demo``
for tests that only read, ``private_demo`` (a copy) for tests that write or count events.
Browser tests share one Chromium a session (``chromium``, ``new_window``) and serve their
store with ``live_server``. How these are built: tests/fixtures.py; factories for agencies,
users and cases: tests/factories.py.

With CI=true, tests that need PostgreSQL or Chromium must run: a missing service fails
the run instead of skipping. On a developer's machine they skip with the reason.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from liuhen.config import Settings
from tests.fixtures import (
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_TIME,
    Demo,
    Demos,
    FakeClock,
    PgDatabases,
    Templates,
    create_pg_database,
    drop_pg_database,
    drops_together,
    migrate_from_scratch,
    one_portal_for_test_clients,
    pg_url,
    serve,
)

FREEZE_EVERY = 100
RESCAN_EVERY = 1000
"""Every ``FREEZE_EVERY`` tests a worker collects its cyclic garbage and freezes what is left
(``gc.freeze``): the session's worlds, templates, apps and caches (1–2 GB) are then no longer
walked by each of Python's full collections (~0.3 s each, 20–35 of them in the web tests
alone: 4–6% of a worker's time); what a test leaves is still collected as before. Every
``RESCAN_EVERY`` tests the frozen objects are handed back, so what a module's fixtures left
when torn down is collected too."""
_finished = [0]


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    _finished[0] += 1
    if _finished[0] % RESCAN_EVERY == 0:
        gc.unfreeze()
    if _finished[0] % FREEZE_EVERY == 0:
        gc.collect()
        gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """The worker's last teardown (every session fixture with it) drops its PostgreSQL
    databases together (``drops_together``); it had taken ~10 s of each worker's end."""
    if nextitem is not None:
        return (yield)
    with drops_together():
        return (yield)


__all__ = ["ADMIN_PASSWORD", "FakeClock", "need"]

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = pg_url("test")


def pytest_configure(config: pytest.Config) -> None:
    """The interpreters the suite starts (xdist workers, ``liuhen serve``, CLI and race
    processes) read the package's compiled modules instead of compiling its ~240 modules
    each time (~0.2 s of CPU a process): a ``PYTHONDONTWRITEBYTECODE`` the shell sets is
    lifted before the workers start, so the first import writes them."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    _temporary_files_in_memory(config)


MEMORY_ROOT = Path("/dev/shm")
MEMORY_NEEDED = 8 << 30
"""Free bytes ``/dev/shm`` must have for the suite's temporary files: two tests write 2 GiB
each, the rest under 1 GiB at a time (a passed test's directory is removed at once)."""


def _temporary_files_in_memory(config: pytest.Config) -> None:
    """The suite's temporary directories (``tmp_path``, and ``TMPDIR`` for its processes:
    ``liuhen serve``, the CLI, Chromium's profile) in memory when ``/dev/shm`` has room,
    before the xdist workers start (they inherit it). Every write transaction fsyncs its
    commit and its checkpoint log, and the suite makes thousands: on this VM's disk an
    fsync is 0.25 ms and more of a worker waiting, on tmpfs nothing (the access-control
    walk: 25–27 s on disk, 18–19 s in memory). No test depends on the disk: the crash tests kill processes,
    and what a killed process wrote stays in the page cache as on a disk. Left alone when
    the caller chose (``PYTEST_DEBUG_TEMPROOT``, ``--basetemp``) or ``/dev/shm`` is small or
    missing (not Linux): then pytest's default, the system's temporary directory."""
    if os.environ.get("PYTEST_DEBUG_TEMPROOT") or config.option.basetemp:
        return
    try:
        free = os.statvfs(MEMORY_ROOT)
    except OSError:
        return
    if free.f_bavail * free.f_frsize < MEMORY_NEEDED:
        return
    root = MEMORY_ROOT / f"liuhen-tests-{os.getuid()}"
    root.mkdir(mode=0o711, exist_ok=True)
    if root.stat().st_uid != os.getuid() or root.is_symlink():
        return  # someone else's: not ours to write in
    for stale in root.glob("run-*-*"):  # an earlier run's, left when it was killed
        if not _alive(stale.name.split("-")[1]):
            shutil.rmtree(stale, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(dir=root, prefix=f"run-{os.getpid()}-"))
    for folder in (root, scratch):  # others may pass through, as through /tmp (a test runs
        folder.chmod(0o711)  # a file as an unprivileged user), but not list what is there
    os.environ["PYTEST_DEBUG_TEMPROOT"] = str(root)
    os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = None  # gettempdir() asks TMPDIR again
    _made_here.append(scratch)


_made_here: list[Path] = []
"""The run's ``TMPDIR`` in memory, made by this process (the controller): emptied at its
end (``tmp_path``'s directories go as their tests pass: ``tmp_path_retention_policy``)."""


def pytest_unconfigure(config: pytest.Config) -> None:
    """What the run left in its ``TMPDIR``, but multiprocessing's ``pymp-*`` folder, which
    it removes itself at exit; the empty folder goes with the next run (``_alive``)."""
    for scratch in _made_here:
        for entry in scratch.iterdir():
            if entry.name.startswith("pymp-"):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:  # another user's process
        pass
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The SeaweedFS tests share one server a session: one xdist worker runs them all
    (``--dist loadgroup``), so one server starts. The mark is added before xdist's own hook
    reads the marks (it names each test's group in its node id). Tests marked ``slow`` go
    first, so no worker is left running a minute-long test after the others are done."""
    for item in items:
        if "seaweedfs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("s3"))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def _test_clients_share_a_portal() -> Iterator[None]:
    with one_portal_for_test_clients():
        yield


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
    name = create_pg_database(pg_admin_engine)
    yield pg_url(name)
    drop_pg_database(pg_admin_engine, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated from scratch once a session, for tests to copy."""
    root = tmp_path_factory.mktemp("sqlite-template")
    settings = Settings.from_env({"LIUHEN_DATA_DIR": str(root / "data"), "LIUHEN_ENV": "test"})
    migrate_from_scratch(settings)
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    assert not database.with_name(database.name + "-wal").exists(), "template left a WAL"
    return database


@pytest.fixture(scope="session")
def pg_template(pg_admin_engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A PostgreSQL database migrated from scratch once a session (one per xdist worker);
    each test's database is created from it with CREATE DATABASE … TEMPLATE."""
    name = create_pg_database(pg_admin_engine)
    root = tmp_path_factory.mktemp("pg-template")
    migrate_from_scratch(
        Settings.from_env(
            {
                "LIUHEN_DATA_DIR": str(root / "data"),
                "LIUHEN_ENV": "test",
                "LIUHEN_DATABASE_URL": pg_url(name),
            }
        )
    )
    yield name
    drop_pg_database(pg_admin_engine, name)


@pytest.fixture(scope="session")
def pg_databases(pg_admin_engine, pg_template: str) -> Iterator[PgDatabases]:  # type: ignore[no-untyped-def]
    """Test databases made from ``pg_template`` ahead of need and dropped behind."""
    pool = PgDatabases(pg_admin_engine, pg_template)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def templates(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Templates]:
    """``templates.settings(data_dir, engine=..., env=...)`` for module- and session-scoped
    fixtures (they ``templates.drop(settings)`` a PostgreSQL database when done)."""
    made = Templates(
        sqlite_template,
        lambda: request.getfixturevalue("pg_databases"),
        tmp_path_factory.mktemp("initialised"),
    )
    yield made
    made.close()


@pytest.fixture
def make_settings(request: pytest.FixtureRequest, templates: Templates) -> Callable[..., Settings]:
    """``make_settings(data_dir, engine="sqlite", env={...})``: test settings whose database
    already has the schema at head, not yet initialised; a PostgreSQL database made here
    is dropped after the test."""

    def make(
        data_dir: Path, *, engine: str = "sqlite", env: dict[str, str] | None = None
    ) -> Settings:
        settings = templates.settings(data_dir, engine=engine, env=env)
        request.addfinalizer(lambda: templates.drop(settings))
        return settings

    return make


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DEMO_TIME)


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path: Path, make_settings, templates) -> Settings:  # type: ignore[no-untyped-def]
    """Test settings on each engine, the schema at head, not yet initialised; for a test
    that takes ``store`` too, a copy of a store already initialised as ``store`` would
    initialise it (``initialise`` was about a twentieth of the suite's time)."""
    if "store" in request.fixturenames:
        at = request.getfixturevalue("clock").now
        made = templates.initialised(tmp_path / "data", engine=request.param, at=at)
        request.addfinalizer(lambda: templates.drop(made))
        return made
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
def store(settings: Settings, clock: FakeClock, templates: Templates):  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    at = templates.initialised_at(settings)
    if at is None:  # a module's own ``settings``
        initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    else:  # a copy of a store initialised as this would have been
        assert at == clock.now, "the clock moved between the settings and the store"
    s = Store.open(settings, clock=clock)
    yield s
    s.close()


# -- the demo agencies ------------------------------------------------------------------


@pytest.fixture(scope="session")
def demos(templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demos]:
    made = Demos(templates, tmp_path_factory.mktemp("demo"))
    yield made
    made.close()


@pytest.fixture(params=ENGINES)
def shared_demo(request: pytest.FixtureRequest, demos: Demos) -> Demo:
    """The demo, loaded once a session per engine and shared by the tests that only read.
    Reading still appends view events: a test that counts events or changes anything takes
    ``private_demo``. Its clock moves on a minute for each test, so a second-factor code is
    never used twice."""
    demo = demos.shared(request.param)
    demo.clock.advance(minutes=1)
    return demo


@pytest.fixture
def sqlite_demo(demos: Demos) -> Demo:
    """``shared_demo`` on SQLite only: for tests that render pages and nothing else."""
    demo = demos.shared("sqlite")
    demo.clock.advance(minutes=1)
    return demo


@pytest.fixture(params=ENGINES)
def private_demo(
    request: pytest.FixtureRequest,
    demos: Demos,
    templates: Templates,
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[Demo]:
    """A copy of the demo for one test, on the ``clock`` fixture (copied, not reloaded)."""
    demo = demos.open(tmp_path / "demo", request.param, clock=clock)
    yield demo
    demo.store.close()
    templates.drop(demo.store.settings)


# -- browsers ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright, launched once a session (per xdist worker)."""
    import shutil

    need(
        shutil.which("chromium") is not None or Path(CHROMIUM).exists(),
        "Debian's chromium is not installed",
    )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    # Native date/month fields follow the browser's own language (LANGUAGE; chromium-l10n's
    # zh-CN.pak), not <html lang> nor the context's locale: show them as a Chinese user's
    # browser does (年/月/日).
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "LANGUAGE": "zh_CN"}
    )
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_window(chromium: Any) -> Iterator[Callable[..., Any]]:
    """``new_window(**context_options)``: a page in a fresh browser context (its own
    cookies), closed after the test."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = chromium.new_context(
            **{"locale": "zh-CN", "viewport": {"width": 1280, "height": 900}, **options}
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], str]]:
    """``live_server(store)``: the app on ``store`` served by uvicorn for this test; its
    base URL. Each test gets its own server (and so its own app state)."""
    from contextlib import ExitStack

    from liuhen.web.app import create_app

    with ExitStack() as stack:
        yield lambda store: stack.enter_context(serve(create_app(store.settings, store=store)))
