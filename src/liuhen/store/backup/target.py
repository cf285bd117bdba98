"""What a restore finds where it is to put the backup: the ledger the configured database
holds, the signing key, and the newest checkpoint of the data directory's log. Reads only.

A target is empty when no database holds a ledger event, there is no signing key and the
checkpoint log is empty or missing: a fresh data directory and a new database after a disk
was lost (a database with the schema but no event counts as empty). Blobs do not count: they
are content-addressed, and a restore adds the backup's beside them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from liuhen.config import Settings
from liuhen.ledger.note import read_log_entry
from liuhen.store.backup.snapshot import (
    LedgerState,
    has_schema,
    ledger_state,
    read_only_engine,
    sqlite_path,
)
from liuhen.store.checkpoint_log import TAIL
from liuhen.store.database import MIGRATIONS, check_connection, make_engine


@dataclass(frozen=True)
class Target:
    database: LedgerState | None
    """The ledger the database holds; None without a database file or schema."""
    schema: bool
    """The database has LiuHen's tables (to be emptied before ``pg_restore``)."""
    unreadable: str | None
    """Why a database that exists could not be read (a damaged SQLite file)."""
    key: bool
    log: tuple[int, str] | None
    """The checkpoint log's newest (tree size, root hash)."""

    @property
    def empty(self) -> bool:
        events = self.database.events if self.database else 0
        return not (events or self.unreadable or self.key or self.log)

    def describe(self) -> str:
        """What is there, in a few words, for the refusal without ``--force``."""
        held = []
        if self.database and self.database.events:
            held.append(f"数据库中已有 {self.database.events} 条日志事件")
        if self.unreadable:
            held.append(f"数据库文件无法读取（{self.unreadable}）")
        if self.key:
            held.append("数据目录中已有签名密钥")
        if self.log:
            held.append(f"检查点记录已签名至 {self.log[0]} 条事件")
        return "，".join(held)

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database.to_dict() if self.database else None,
            "checkpoint_log": {"size": self.log[0], "root_hash": self.log[1]} if self.log else None,
            "signing_key": self.key,
        }


def inspect_target(settings: Settings) -> Target:
    database, schema, unreadable = _database(settings)
    return Target(
        database=database,
        schema=schema,
        unreadable=unreadable,
        key=settings.signing_key_path.exists(),
        log=newest_checkpoint(settings.checkpoint_log_path),
    )


def _database(settings: Settings) -> tuple[LedgerState | None, bool, str | None]:
    if settings.is_sqlite:
        path = sqlite_path(settings)
        if not path.exists():
            return None, False, None
        engine = read_only_engine(path)
    else:
        engine = make_engine(settings)
        check_connection(engine, settings)  # unreachable: one line naming the setting
    try:
        with engine.connect() as conn:
            if not has_schema(conn):
                return None, False, None
            return ledger_state(conn), True, None
    except SQLAlchemyError as exc:
        if not settings.is_sqlite:
            raise
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return None, True, reason
    finally:
        engine.dispose()


def schema_known(revision: str) -> bool:
    """Whether this version of LiuHen ships the migration ``revision`` (a backup made by a
    newer version has a revision it cannot run)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        return ScriptDirectory.from_config(cfg).get_revision(revision) is not None
    except CommandError:
        return False


def newest_checkpoint(log: Path) -> tuple[int, str] | None:
    """The newest (tree size, root hash) among the last lines of a checkpoint log; None
    without a file or a readable line."""
    try:
        with open(log, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - TAIL))
            lines = f.read().split(b"\n")
    except OSError:
        return None
    newest: tuple[int, str] | None = None
    for raw in lines[1:] if size > TAIL else lines:
        try:
            cp = read_log_entry(json.loads(raw))[0]
        except (ValueError, TypeError, KeyError, RecursionError):
            continue
        if newest is None or cp.tree_size > newest[0]:
            newest = (cp.tree_size, cp.root_hash.hex())
    return newest
