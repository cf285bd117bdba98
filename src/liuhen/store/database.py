"""Engines and migrations: SQLite (WAL, synchronous=FULL) by default, PostgreSQL by URL.

On SQLite a write transaction takes the write lock at ``BEGIN IMMEDIATE`` (two writers queue
instead of deadlocking when both upgrade a read lock); a snapshot (``Store.snapshot``: a connection
with the ``READ_ONLY`` execution option) begins deferred, so in WAL mode it reads its
snapshot while writers write, and never waits for the lock or holds it; a read
(``Store.read``, ``STATEMENTS`` too) begins nothing: each statement reads a snapshot of its
own, as on PostgreSQL, without a ``BEGIN`` and a ``ROLLBACK`` around it."""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError

from liuhen.config import Settings
from liuhen.errors import ConfigError, StorageError
from liuhen.store.compiled_cache import share

MIGRATIONS = Path(__file__).parent / "migrations"
READ_ONLY = "liuhen_read_only"
"""Execution option of a connection that only reads (``Store.snapshot``): SQLite begins
deferred."""
STATEMENTS = "liuhen_statements"
"""Execution option of a read whose statements each read their own snapshot (``Store.read``):
SQLite begins no transaction (the ``BEGIN`` and the driver's ``ROLLBACK`` at the end were two
statements more a read, each handing the GIL to the server's other threads and waiting to
take it back)."""
POOL = {"pool_size": 20, "max_overflow": 30, "pool_timeout": 60}
"""Connections per process: every thread of the web server's pool may hold a read and a
write connection at once (a service reads while its transaction is open)."""


def _normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database; SQLite files get their pragmas on connect."""
    url = _normalise_url(settings.database_url)
    try:
        if url.startswith("sqlite"):
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                parent = Path(path).parent
                if not parent.exists():
                    raise ConfigError(
                        f"LIUHEN_DATABASE_URL: 目录 {parent} 不存在，请先运行 liuhen init"
                    )
            engine = create_engine(url, connect_args={"timeout": 30}, **POOL)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, pool_size=10, max_overflow=20, pool_timeout=60)
            event.listen(engine, "checkin", _note_idle)
            event.listen(engine, "checkout", _ping_if_idle)
    except ArgumentError as exc:
        raise ConfigError(
            f"LIUHEN_DATABASE_URL: 无法解析数据库地址 {settings.database_url!r}"
        ) from exc
    except ModuleNotFoundError as exc:
        raise ConfigError(f"LIUHEN_DATABASE_URL: 缺少数据库驱动 {exc.name}") from exc
    return share(engine)


PING_IDLE = 10.0
"""Seconds a pooled PostgreSQL connection may have sat unused and still be handed out
without a round trip to see that it is alive. ``pool_pre_ping`` made that round trip at
every checkout: a third of an inclusion proof's time. A connection idle longer is pinged
(and replaced if dead: a database restarted meanwhile); one used within the last seconds
is handed out as it is (a restart in those seconds fails one statement, and the pool then
drops every connection it holds)."""


def _note_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_IDLE:
        return  # new, or used a moment ago
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:  # noqa: BLE001 - any failure: the pool connects afresh
        raise DisconnectionError("connection lost while idle") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """Writers take the write lock at BEGIN so two writers queue instead of deadlocking on
    upgrade; readers begin deferred and read their WAL snapshot without any lock."""
    options = conn.get_execution_options()
    if options.get(STATEMENTS):
        return  # autocommit: the driver's rollback at the end finds no transaction
    if options.get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def check_connection(engine: Engine, settings: Settings) -> None:
    """Fail with one line naming the setting when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(
            f"LIUHEN_DATABASE_URL: 无法连接数据库（{reason}），请检查地址与数据库服务"
        ) from None


def alembic_config(engine: Engine, timezone: str | None = None) -> Any:
    """Alembic's configuration; ``timezone`` (the settings') is the zone migrations that
    build derived tables cut months in."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection_engine"] = engine
    cfg.attributes["timezone"] = timezone
    return cfg


@cache
def _scripts() -> Any:
    """The migration scripts shipped with this version of LiuHen. Alembic loads every one,
    so they are read once a process, not on every ``init``."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


@cache
def head_revision() -> str:
    """The newest revision shipped with this version of LiuHen."""
    return str(_scripts().get_current_head())


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at (None before the first migration)."""
    with engine.connect() as conn:
        return revision_on(conn)


def revision_on(conn: Connection) -> str | None:
    """``current_revision`` on a connection already open (a read, which takes no lock)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


@cache
def known_revisions() -> frozenset[str]:
    """Every revision shipped with this version of LiuHen."""
    return frozenset(r.revision for r in _scripts().walk_revisions())


def schema_mismatch(current: str | None, head: str) -> tuple[str, str]:
    """What is wrong when the database's schema is not this version's, and the fix: behind
    (an upgrade installed, ``liuhen init`` not yet run) or ahead (another node, or an earlier
    install, already runs a newer LiuHen: this one must not write to it)."""
    if current is not None and current not in known_revisions():
        return (
            f"数据库结构版本 {current} 新于本版本（最高 {head}）：数据库已由更新版本的留痕升级",
            "在本节点安装与其他节点相同的新版本（不要用旧版本读写）",
        )
    return (
        f"数据库结构版本 {current} 旧于本版本所需的 {head}",
        "liuhen init（只增加新表和字段，不改动已有记录）",
    )


def migrate(engine: Engine, timezone: str | None = None) -> None:
    """Bring the schema to the newest revision (idempotent; a schema at head is left as is
    without running Alembic's upgrade machinery). A schema newer than this version is
    refused (ConfigError), never downgraded or written by older code."""
    from alembic import command

    try:
        current = current_revision(engine)
        if current == head_revision():
            return
        if current is not None and current not in known_revisions():
            problem, fix = schema_mismatch(current, head_revision())
            raise ConfigError(f"{problem}：{fix}")
        command.upgrade(alembic_config(engine, timezone), "head")
    except OperationalError as exc:
        raise StorageError(f"数据库迁移失败：{exc.orig}") from exc


def refresh_statistics(engine: Engine) -> None:
    """Give SQLite's query planner current table statistics (``ANALYZE``): without them it
    reads a large agency by its agency index where a user's own cases are a few keys away.
    Run when the schema is checked and then after each scheduled fixity audit
    (``jobs/kinds.fixity``); PostgreSQL's autovacuum keeps its own."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    except OperationalError as exc:  # busy past the timeout: the next run will do it
        raise StorageError(f"数据库统计信息更新失败：{exc.orig}") from exc


def schema_lag(engine: Engine) -> tuple[str | None, str] | None:
    """(the database's revision, the newest one) when the schema is behind this version of
    LiuHen (an upgrade installed, ``liuhen init`` not yet run); None when it is current."""
    head = head_revision()
    current = current_revision(engine)
    return None if current == head else (current, head)


def is_initialised(engine: Engine) -> bool:
    return "ledger_head" in inspect(engine).get_table_names()
