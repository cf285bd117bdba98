"""PostgreSQL's own tools for the database of a store: ``pg_dump`` (custom format) and
``pg_restore``, run with the connection of ``LIUHEN_DATABASE_URL`` (the password passed in
the environment, never on the command line)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from liuhen.config import Settings
from liuhen.errors import ConfigError, StorageError


def tool(name: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore``; ``ConfigError`` saying how to get it."""
    found = shutil.which(name)
    if found is None:
        raise ConfigError(
            f"找不到 {name}：备份和恢复 PostgreSQL 数据库需要 PostgreSQL 客户端工具"
            "（Debian/Ubuntu：apt-get install postgresql-client，版本不低于数据库服务器）"
        )
    return found


def _connection(settings: Settings) -> tuple[str, dict[str, str]]:
    """The libpq URI of the database (without its password) and the environment to run a
    tool in (with ``PGPASSWORD`` when the URL has one)."""
    url = make_url(settings.database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], settings: Settings, what: str) -> None:
    dsn, env = _connection(settings)
    try:
        done = subprocess.run(
            [*args, "--dbname", dsn], env=env, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise StorageError(f"{what}失败：无法运行 {args[0]}（{exc.strerror or exc}）") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"退出码 {done.returncode}"
        raise StorageError(f"{what}失败：{reason}")


def dump(settings: Settings, target: Path, *, snapshot: str | None = None) -> None:
    """``pg_dump -Fc`` of the store's database into ``target`` (of ``snapshot`` when given:
    a snapshot exported by a transaction that is still open)."""
    args = [tool("pg_dump"), "--format=custom", "--file", str(target)]
    if snapshot is not None:
        args += ["--snapshot", snapshot]
    _run(args, settings, "pg_dump 导出数据库")


def restore(settings: Settings, source: Path) -> None:
    """``pg_restore`` of ``source`` into the store's (emptied) database, in one transaction:
    it is restored whole or not at all. Owners and grants are the configured user's."""
    args = [tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    args += ["--single-transaction", str(source)]
    _run(args, settings, "pg_restore 恢复数据库")


def clear_schema(engine: Engine) -> None:
    """Drop everything in the database's ``public`` schema (tables, the insert-only trigger
    function) and make it anew, empty, for ``pg_restore``. Needs the database's owner."""
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
