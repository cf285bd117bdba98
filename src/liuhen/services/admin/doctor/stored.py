"""The configured store's part of ``liuhen doctor``: database, blob store, key, calendar.

The database is opened with a bare engine (no recovery, no key needed), so the doctor can
say what is wrong with a store that ``serve`` would refuse; the blob store is probed by
writing and removing one small file (local) or listing one key (S3); the calendar needs the
database for the years an administrator loaded.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from liuhen.config import Settings
from liuhen.errors import ConfigError, LiuhenError
from liuhen.ledger.checkpoint import key_fingerprint
from liuhen.services.admin.doctor.model import Check, existing_folder, guarded
from liuhen.store.blobs.base import BlobStore
from liuhen.store.keys import key_passphrase, read_key

CALENDAR_AHEAD_MONTH = 11
"""From this month on, next year's holiday arrangement should be known (the State Council
publishes it in the autumn), since deadlines run into it."""


def checks(settings: Settings) -> list[Check]:
    database, genesis = _database(settings)
    return [
        database,
        guarded("store", "文件存储", lambda: store_check(settings)),
        guarded("key", "签名密钥", lambda: key_check(settings, genesis)),
        guarded("calendar", "节假日安排", lambda: calendar_check(settings, database.status)),
    ]


def _database(settings: Settings) -> tuple[Check, tuple[bool, str | None]]:
    found: list[tuple[bool, str | None]] = []

    def run() -> Check:
        check, genesis = database_check(settings)
        found.append(genesis)
        return check

    check = guarded("database", "数据库", run)
    return check, (found[0] if found else (False, None))


def database_check(settings: Settings) -> tuple[Check, tuple[bool, str | None]]:
    """The database reachable, initialised and at this version's schema; with it, whether
    the ledger has begun and the key fingerprint its event #0 recorded."""
    from liuhen.services.admin.queries import ledger_genesis
    from liuhen.store.database import (
        check_connection,
        current_revision,
        is_initialised,
        make_engine,
        schema_lag,
        schema_mismatch,
    )

    nothing = (False, None)
    where = "SQLite" if settings.is_sqlite else "PostgreSQL"
    if settings.is_sqlite and not settings.data_dir.exists():
        return Check(
            "database", "数据库", "fail", f"数据目录 {settings.data_dir} 不存在", "liuhen init"
        ), nothing
    engine = make_engine(settings)
    try:
        try:
            check_connection(engine, settings)
        except LiuhenError as exc:
            return Check(
                "database",
                "数据库",
                "fail",
                exc.message,
                "启动数据库服务，或改正 LIUHEN_DATABASE_URL",
            ), nothing
        if not is_initialised(engine):
            return Check(
                "database", "数据库", "fail", f"{where} 数据库尚未初始化", "liuhen init"
            ), nothing
        lag = schema_lag(engine)
        with engine.connect() as conn:
            genesis = ledger_genesis(conn)
        if lag is not None:
            return Check("database", "数据库", "fail", *schema_mismatch(*lag)), genesis
        revision = current_revision(engine)
    finally:
        engine.dispose()
    return Check("database", "数据库", "ok", f"{where}，结构版本 {revision}"), genesis


def store_check(settings: Settings) -> Check:
    from liuhen.store.blobs import open_blob_store

    return blobs_check(open_blob_store(settings))


def blobs_check(blobs: BlobStore) -> Check:
    """The blob store ``blobs`` writable (local) or reachable (S3)."""
    from liuhen.store.blobs import LocalBlobStore

    if isinstance(blobs, LocalBlobStore):
        return _local_store(blobs.root)
    try:
        next(iter(blobs.iter_keys()), None)
    except LiuhenError as exc:
        return Check(
            "store",
            "文件存储",
            "fail",
            f"{blobs.describe()} 无法访问（{exc.message}）",
            "启动对象存储服务，或改正 LIUHEN_STORE_URL 与访问密钥设置",
        )
    return Check("store", "文件存储", "ok", f"{blobs.describe()}，可访问")


def _local_store(root: Path) -> Check:
    """A local directory exists and takes a file, or (before the first blob) its nearest
    existing parent does."""
    where = existing_folder(root)
    try:
        with tempfile.NamedTemporaryFile(dir=where, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            "store",
            "文件存储",
            "fail",
            f"存储目录 {where} 不可写（{exc.strerror}）",
            f"让运行 LiuHen 的用户可写：chown -R <用户> {where}",
        )
    later = "" if where == root else "（首次存入文件时创建）"
    return Check("store", "文件存储", "ok", f"本地目录 {root}，可写{later}")


def key_check(settings: Settings, genesis: tuple[bool, str | None]) -> Check:
    started, recorded = genesis
    path = settings.signing_key_path
    try:
        key, problem = read_key(path, key_passphrase(settings))
    except ConfigError as exc:  # an encrypted key without its passphrase, or a wrong one
        return Check(
            "key",
            "签名密钥",
            "fail",
            exc.message,
            "设置 LIUHEN_KEY_PASSPHRASE_FILE（口令文件放在数据目录之外）或 LIUHEN_KEY_PASSPHRASE",
        )
    if key is None:
        if started:
            expected = f"（日志事件 #0 记录的指纹为 {recorded}）" if recorded else ""
            return Check(
                "key",
                "签名密钥",
                "fail",
                f"{problem}：无法签名，也无法核验",
                f"从备份恢复原签名密钥到 {path}{expected}；不要重新生成",
            )
        return Check("key", "签名密钥", "fail", problem or "没有签名密钥", "liuhen init")
    actual = key_fingerprint(key)
    details = []
    if recorded and recorded != actual:
        details.append(f"日志事件 #0 记录的指纹为 {recorded}")
    if settings.ledger_fingerprint and settings.ledger_fingerprint != actual:
        details.append(f"LIUHEN_LEDGER_FINGERPRINT 固定的指纹为 {settings.ledger_fingerprint}")
    if details:
        return Check(
            "key",
            "签名密钥",
            "fail",
            f"签名密钥 {path} 的指纹 {actual} 不是本日志的密钥",
            "恢复原签名密钥，并运行 liuhen verify",
            details,
        )
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o077:
        return Check(
            "key",
            "签名密钥",
            "warn",
            f"签名密钥 {path} 其他用户可读（权限 {mode:o}）",
            f"chmod 600 {path}",
        )
    if not settings.ledger_fingerprint:
        return Check(
            "key",
            "签名密钥",
            "warn",
            f"指纹 {actual}，但未在设置中固定",
            f"把 LIUHEN_LEDGER_FINGERPRINT={actual} 写入数据目录之外的设置（见 docs/security.md）",
        )
    return Check("key", "签名密钥", "ok", f"指纹 {actual}，与固定的指纹一致")


def calendar_check(settings: Settings, database: str) -> Check:
    """This year's holiday arrangement known, and next year's from November on."""
    from liuhen.rules.sources.calendar import package_years

    years = set(package_years())
    source = "chinese_calendar 程序包"
    if database == "ok":
        from liuhen.services.admin.queries import loaded_schedules
        from liuhen.store.store import Store

        store = Store.open(settings)
        try:
            years |= set(loaded_schedules(store))
        finally:
            store.close()
        source += "与管理员载入的安排"
    return calendar_verdict(settings, years, source)


def calendar_verdict(settings: Settings, years: set[int], source: str) -> Check:
    """The calendar check's answer for the ``years`` known (from ``source``)."""
    today = datetime.now(settings.tz).date()
    needed = [today.year] + ([today.year + 1] if today.month >= CALENDAR_AHEAD_MONTH else [])
    missing = [y for y in needed if y not in years]
    known = f"已知 {min(years)}–{max(years)} 年（{source}）" if years else "没有已知年份"
    fix = "liuhen calendar load 文件 --source “国务院办公厅关于…年部分节假日安排的通知”（见 docs/calendar.md）"
    if today.year in missing:
        return Check(
            "calendar",
            "节假日安排",
            "fail",
            f"{known}；今年（{today.year}）的安排未知，期限无法按工作日计算",
            fix,
        )
    if missing:
        return Check(
            "calendar",
            "节假日安排",
            "warn",
            f"{known}；{missing[0]} 年的安排未知，跨入该年的期限将报告为“节假日安排未知”",
            fix,
        )
    return Check("calendar", "节假日安排", "ok", known)
