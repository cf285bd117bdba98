"""What the shared fixtures in conftest.py are made of (the datasette way).

- ``Templates``: the schema migrated once a session (per xdist worker) into a template — a
  SQLite file each test copies, a PostgreSQL database each test's database is created from
  with ``CREATE DATABASE … TEMPLATE``.
- ``Demos``: the demo agencies (``services.demo``) loaded once a session per engine; one
  copy shared by the tests that only read, private copies (a file copy, a database made
  from a template) for tests that write or count events.
- ``serve``: a live uvicorn server for a browser test, on a socket bound before it starts.
- ``one_portal_for_test_clients``: the test clients' requests on one event loop a session.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from liuhen.config import Settings
from liuhen.ledger.events import Actor

PG_ADMIN_URL = os.environ.get(
    "LIUHEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN_PASSWORD = "Admin-pass-2026"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
DEMO_TIME = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # the ``clock`` fixture's start
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"  # screenshots, not committed
SCREENSHOTS = os.environ.get("LIUHEN_TEST_SCREENSHOTS", "0" if os.environ.get("CI") else "1") == "1"
"""Browser tests keep screenshots in ``ARTIFACTS`` for a person to look at (at 390 and 1366
px); not on CI (``CI`` set) unless ``LIUHEN_TEST_SCREENSHOTS=1``: nobody looks at a CI
machine's files, and drawing full pages was about a quarter of the browser tests' time."""


def keep_screenshot(target: Any, name: str, **options: Any) -> None:
    """A screenshot of ``target`` (a page or an element) as ``ARTIFACTS/name``, when kept
    (``SCREENSHOTS``). What a test asserts of a layout it checks itself (``scrollWidth``,
    boxes): a screenshot is for the eye, never an assertion."""
    if SCREENSHOTS:
        target.screenshot(path=str(ARTIFACTS / name), **options)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


class FakeClock:
    """A controllable clock (the only fake we use: time is outside our control)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def pg_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def create_pg_database(admin: Engine, template: str | None = None) -> str:
    """A new database named for this xdist worker (empty, or a copy of ``template``)."""
    name = f"liuhen_t_{WORKER}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(
            text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        )
        # A test's commits do not wait for PostgreSQL's WAL flush (about a fifth off the
        # PostgreSQL tests' time). Committed rows are visible to every session at once and
        # survive any client process killed (the crash tests kill LiuHen, never the
        # server); only a crash of the server itself, which no test makes, could lose them.
        # Set on the database, so a bench's own databases keep the server's default.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    return name


def drop_pg_database(admin: Engine, name: str) -> None:
    """Drop the database ``name`` now, or with the others at the end of ``drops_together``."""
    if _together is not None:
        _together.append((admin, name))
        return
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_together: list[tuple[Engine, str]] | None = None


@contextmanager
def drops_together(threads: int = 8) -> Iterator[None]:
    """The databases dropped inside are dropped at its end, several at once. Each ``DROP
    DATABASE`` waits for a checkpoint; drops waiting together share one (12 databases: 1.7–1.9
    s one after another, 0.5–0.6 s eight at a time). A worker's last teardown drops every
    database its session fixtures made (the templates, the demos, the budget worlds)."""
    global _together
    _together = []
    try:
        yield
    finally:
        pending, _together = _together, None
        with ThreadPoolExecutor(threads) as pool:
            for done in [pool.submit(drop_pg_database, *each) for each in pending]:
                done.result()


class PgDatabases:
    """Databases made from the template ahead of need and dropped behind, in a thread of
    their own, so a test waits for neither (CREATE DATABASE copies the template through the
    WAL; DROP DATABASE waits for a checkpoint)."""

    def __init__(self, admin: Engine, template: str, ahead: int = 2) -> None:
        self.admin = admin
        self.template = template
        self._ready: queue.Queue[str] = queue.Queue(maxsize=ahead)
        self._drops: queue.Queue[str] = queue.Queue()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._work, name="pg-databases", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while not self._closed.is_set():
            try:
                drop_pg_database(self.admin, self._drops.get_nowait())
                continue
            except queue.Empty:
                pass
            if not self._ready.full():
                self._ready.put(create_pg_database(self.admin, self.template))
            else:
                self._closed.wait(0.02)

    def take(self) -> str:
        """A new database with the template's schema (made here if the thread has stopped:
        whatever stopped it then fails in the test)."""
        while self._thread.is_alive():
            try:
                return self._ready.get(timeout=0.1)
            except queue.Empty:
                continue
        return create_pg_database(self.admin, self.template)

    def drop(self, name: str) -> None:
        if self._closed.is_set() or not self._thread.is_alive():
            drop_pg_database(self.admin, name)
        else:
            self._drops.put(name)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=60)
        for waiting in (self._ready, self._drops):
            while not waiting.empty():
                drop_pg_database(self.admin, waiting.get_nowait())


def database_name(settings: Settings) -> str:
    return settings.database_url.rsplit("/", 1)[1]


def migrate_from_scratch(settings: Settings) -> None:
    from liuhen.services.admin.setup import ensure_schema

    ensure_schema(settings)


class Templates:
    """Settings whose database already has the schema at head, copied from the session's
    templates; ``initialise`` has not run on them. ``sqlite`` is the migrated template
    file; ``pg`` returns (admin engine, template database) and is asked for only when a
    PostgreSQL database is wanted, so SQLite-only runs need no server."""

    def __init__(self, sqlite: Path, pg: Any, root: Path) -> None:
        self._sqlite = sqlite
        self._pg_fixture = pg
        self._pg_made: PgDatabases | None = None
        self._root = root
        self._initialised: dict[tuple[str, datetime], Settings] = {}
        self._pg_initialised: dict[tuple[str, datetime], PgDatabases] = {}
        self._copies: dict[Path, datetime] = {}

    def _pg(self) -> PgDatabases:
        # Kept once asked for: session fixtures may drop their databases after the pool's
        # fixture has been torn down (it drops them at once then).
        if self._pg_made is None:
            self._pg_made = self._pg_fixture()
        return self._pg_made

    def settings(
        self, data_dir: Path, *, engine: str = "sqlite", env: dict[str, str] | None = None
    ) -> Settings:
        values = {"LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_ENV": "test", **(env or {})}
        if engine == "postgres":
            values["LIUHEN_DATABASE_URL"] = pg_url(self._pg().take())
        settings = Settings.from_env(values)
        if settings.is_sqlite:
            data_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self._sqlite, settings.database_url.removeprefix("sqlite:///"))
        return settings

    def copy(self, source: Settings, data_dir: Path, env: dict[str, str] | None = None) -> Settings:
        """A copy of a closed store: its data directory, and its PostgreSQL database."""
        shutil.copytree(source.data_dir, data_dir)
        values = {"LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_ENV": "test", **(env or {})}
        if not source.is_sqlite:
            copied = create_pg_database(self._pg().admin, database_name(source))
            values["LIUHEN_DATABASE_URL"] = pg_url(copied)
        return Settings.from_env(values)

    def drop(self, settings: Settings) -> None:
        if not settings.is_sqlite:
            self._pg().drop(database_name(settings))

    def initialised(self, data_dir: Path, *, engine: str, at: datetime) -> Settings:
        """Settings on a copy of a store ``initialise`` ran on once a session per engine and
        start time ``at`` (the admin's password ``ADMIN_PASSWORD``, as the ``store`` fixture
        initialises): its data directory (the signing key, the checkpoint log, a SQLite
        file) and a PostgreSQL database made from it ahead of need. The copy holds what
        ``initialise`` would have written, but for the ids it drew and the key it made."""
        key = (engine, at)
        source = self._initialised.get(key)
        if source is None:
            from liuhen.services.admin.setup import initialise

            folder = self._root / f"{engine}-{len(self._initialised)}"
            source = self.settings(folder, engine=engine)
            initialise(source, admin_password=ADMIN_PASSWORD, clock=FakeClock(at))
            self._initialised[key] = source
        shutil.copytree(source.data_dir, data_dir)
        values = {"LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_ENV": "test"}
        if not source.is_sqlite:
            pool = self._pg_initialised.get(key)
            if pool is None:
                pool = PgDatabases(self._pg().admin, database_name(source))
                self._pg_initialised[key] = pool
            values["LIUHEN_DATABASE_URL"] = pg_url(pool.take())
        self._copies[data_dir] = at
        return Settings.from_env(values)

    def initialised_at(self, settings: Settings) -> datetime | None:
        """The clock's time ``initialise`` ran at on the store ``settings`` copied (from
        ``initialised``); None for any other settings."""
        return self._copies.get(settings.data_dir)

    def close(self) -> None:
        """Drop the databases ``initialised`` copied from."""
        for pool in self._pg_initialised.values():
            pool.close()
        for source in self._initialised.values():
            self.drop(source)


@dataclass
class Demo:
    """The demo agencies (``liuhen demo``) on one engine, and the accounts' passwords."""

    store: Any
    clock: FakeClock
    accounts: dict[str, str]
    agency_id: str


class Demos:
    """The demo loaded once a session per engine (stores closed, to copy from); a shared
    open copy per engine for the tests that only read; private copies for the rest."""

    def __init__(self, templates: Templates, root: Path) -> None:
        self._templates = templates
        self._root = root
        self._loaded: dict[str, tuple[Settings, dict[str, str], str]] = {}
        self._shared: dict[str, Demo] = {}
        self._made: list[Settings] = []

    def _load(self, engine: str) -> tuple[Settings, dict[str, str], str]:
        if engine not in self._loaded:
            from liuhen.demo.loader import load_demo
            from liuhen.services.admin.setup import initialise
            from liuhen.store.store import Store

            settings = self._templates.settings(self._root / f"loaded-{engine}", engine=engine)
            self._made.append(settings)
            clock = FakeClock(DEMO_TIME)
            initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
            store = Store.open(settings, clock=clock)
            try:
                result = load_demo(store, Actor.system("测试"))
            finally:
                store.close()
            self._loaded[engine] = (settings, result.accounts, result.agency_id)
        return self._loaded[engine]

    def open(self, data_dir: Path, engine: str = "sqlite", clock: FakeClock | None = None) -> Demo:
        """A private copy, open; ``close`` it (and ``drop`` its settings) when done."""
        from liuhen.store.store import Store

        loaded, accounts, agency_id = self._load(engine)
        settings = self._templates.copy(loaded, data_dir)
        clock = clock or FakeClock(DEMO_TIME)
        return Demo(Store.open(settings, clock=clock), clock, dict(accounts), agency_id)

    def shared(self, engine: str) -> Demo:
        if engine not in self._shared:
            demo = self.open(self._root / f"shared-{engine}", engine)
            self._made.append(demo.store.settings)
            self._shared[engine] = demo
        return self._shared[engine]

    def close(self) -> None:
        for demo in self._shared.values():
            demo.store.close()
        for settings in self._made:
            self._templates.drop(settings)


@contextmanager
def one_portal_for_test_clients() -> Iterator[None]:
    """Starlette's ``TestClient``, unless entered as a context manager, sends each request
    through a blocking portal of its own: a new thread and event loop every request (about
    0.9 ms of CPU, a thousandth of a second times the suite's ~20,000 requests). Here they
    share one portal, one event loop, for the session, as a server runs every request on
    its one loop. A client that is entered (``with TestClient(app)``: the app's lifespan)
    still has its own. Each request goes to the loop once (``tests/asgi_transport.py``),
    not once for each of its events and body chunks."""
    from anyio.from_thread import start_blocking_portal
    from starlette.testclient import TestClient, _TestClientTransport

    from tests import asgi_transport

    original = TestClient._portal_factory
    with start_blocking_portal() as portal:

        @contextmanager
        def shared(self: TestClient) -> Iterator[Any]:
            yield self.portal if self.portal is not None else portal

        TestClient._portal_factory = shared  # type: ignore[method-assign,assignment]
        _TestClientTransport.handle_request = asgi_transport.handle_request  # type: ignore[method-assign]
        try:
            yield
        finally:
            TestClient._portal_factory = original  # type: ignore[method-assign]
            _TestClientTransport.handle_request = asgi_transport.ORIGINAL  # type: ignore[method-assign]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a socket bound first (no port race between
    xdist workers); yield its base URL; stop it."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.025)
        assert server.started, "the live server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
