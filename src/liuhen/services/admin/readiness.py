"""``GET /readyz``: can this node serve right now, and if not, what is wrong.

``/healthz`` says the process is alive; a load balancer or an operator asks ``/readyz``
whether to send it work: the database answers and is at this version's schema, the file
store is reachable (writable locally; one key listed on S3), the signing key is loaded,
the disk has room and this year's holiday arrangement is known. Each answer is one of
``liuhen doctor``'s checks (the same wording and fix), made with the running store instead
of a store of its own (its blob store, its calendar), so a probe every few seconds costs a
statement or two. Nothing here names a record.
"""

from __future__ import annotations

from liuhen.services.admin.doctor.machine import disk_check
from liuhen.services.admin.doctor.model import Check, guarded
from liuhen.services.admin.doctor.stored import blobs_check, calendar_verdict
from liuhen.store.database import head_revision, revision_on, schema_mismatch
from liuhen.store.store import Store


def readiness(store: Store) -> list[Check]:
    """The checks, database first; ready when none is ``fail``."""
    settings = store.settings
    database = guarded("database", "数据库", lambda: _database(store))
    checks = [
        database,
        guarded("store", "文件存储", lambda: blobs_check(store.blobs)),
        guarded("key", "签名密钥", lambda: _key(store)),
        guarded("disk", "磁盘空间", lambda: disk_check(settings.data_dir)),
    ]
    if database.status == "ok":
        checks.append(guarded("calendar", "节假日安排", lambda: _calendar(store)))
    return checks


def _database(store: Store) -> Check:
    where = "PostgreSQL" if store.engine.dialect.name == "postgresql" else "SQLite"
    try:
        with store.read() as conn:  # no write lock taken, one statement
            revision = revision_on(conn)
    except Exception as exc:
        explained = store.explain(exc)
        if explained is None:
            raise
        return Check(
            "database",
            "数据库",
            "fail",
            explained.message,
            "启动数据库服务，或改正 LIUHEN_DATABASE_URL",
        )
    if revision != (head := head_revision()):
        return Check("database", "数据库", "fail", *schema_mismatch(revision, head))
    return Check("database", "数据库", "ok", f"{where}，结构版本 {revision}")


def _key(store: Store) -> Check:
    if store.key_problem is not None:
        return Check(
            "key", "签名密钥", "fail", f"{store.key_problem}：无法签名", "从备份恢复签名密钥"
        )
    return Check("key", "签名密钥", "ok", f"已载入，指纹 {store.fingerprint}")


def _calendar(store: Store) -> Check:
    years = set(store.calendar().known_years())  # the calendar deadlines are computed with
    return calendar_verdict(store.settings, years, "chinese_calendar 程序包与管理员载入的安排")
