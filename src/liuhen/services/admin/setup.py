"""Creating a data directory: folders, schema, signing key, first admin."""

from __future__ import annotations

import os
import secrets
import string
from dataclasses import dataclass

from liuhen.config import Settings
from liuhen.errors import ConfigError, Conflict
from liuhen.ledger.checkpoint import key_fingerprint
from liuhen.ledger.events import Actor
from liuhen.services.admin.key_custody import install_hint
from liuhen.services.admin.queries import ledger_genesis, user_count, user_total
from liuhen.services.admin.users import User, add_user
from liuhen.services.av.stations import adopt_stations
from liuhen.store.database import (
    check_connection,
    current_revision,
    head_revision,
    is_initialised,
    make_engine,
    migrate,
    refresh_statistics,
)
from liuhen.store.keys import (
    is_encrypted,
    key_passphrase,
    load_or_create_key,
    protect_key,
    read_key,
)
from liuhen.store.store import Store
from liuhen.store.unit import Clock, utcnow


@dataclass(frozen=True)
class InitResult:
    created_schema: bool
    admin: User | None
    fingerprint: str
    key_encrypted: bool = False
    key_changed: bool = False
    """``protect``: the key file was encrypted or decrypted now."""
    stations_adopted: tuple[str, ...] = ()
    """Station tokens issued before the stations table was ledger-written, taken under it."""
    stations_left_out: tuple[str, ...] = ()
    """Station rows no ledger event issued: refused by the API until issued again."""
    upgraded_from: str | None = None
    """The schema revision the database had when this run migrated it (None: created now, or
    already the newest)."""
    schema_revision: str = ""
    """The revision the schema is at now (this version's newest)."""


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory (and keys/) or fail naming LIUHEN_DATA_DIR."""
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / "keys").mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"LIUHEN_DATA_DIR: 无法创建数据目录 {path}（{exc.strerror}）") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"LIUHEN_DATA_DIR: 数据目录 {path} 不可写，请检查权限或换一个目录")
    probe = path / ".write-test"
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"LIUHEN_DATA_DIR: 数据目录 {path} 不可写（{exc.strerror}）") from None


def ensure_schema(settings: Settings) -> bool:
    """Migrate to the newest schema; True when the schema was created now."""
    return upgrade_schema(settings)[0]


def upgrade_schema(settings: Settings) -> tuple[bool, str | None]:
    """Migrate to the newest schema: whether it was created now, and the revision it was
    migrated from (None: created now, or already the newest)."""
    prepare_data_dir(settings)
    engine = make_engine(settings)
    try:
        check_connection(engine, settings)
        fresh = not is_initialised(engine)
        before = None if fresh else current_revision(engine)
        migrate(engine, settings.timezone)
        refresh_statistics(engine)
    finally:
        engine.dispose()
    return fresh, (before if before != head_revision() else None)


def ensure_key(settings: Settings) -> None:
    """Create the signing key for a ledger with no event yet. A ledger that has events keeps
    the key it was started with: when the key file is missing (a second node, a restored
    machine) or is another key than the one event #0 recorded, refuse in one line instead of
    minting a key that nobody pinned."""
    path = settings.signing_key_path
    passphrase = key_passphrase(settings)
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            started, recorded = ledger_genesis(conn)
    finally:
        engine.dispose()
    if not started:
        try:
            load_or_create_key(path, passphrase)
        except ValueError as exc:
            raise ConfigError(f"LIUHEN_DATA_DIR: 签名密钥文件不可用（{exc}）") from None
        return
    key, problem = read_key(path, passphrase)
    if key is None:
        raise ConfigError(
            f"LIUHEN_DATA_DIR: 数据库已有日志（另一节点或此前的安装已开始），但{problem}："
            f"liuhen init 不会为已有日志生成新密钥；{install_hint(path, recorded)}，"
            "或从备份恢复原签名密钥，然后再运行 liuhen init"
        )
    if recorded and key_fingerprint(key) != recorded:
        raise ConfigError(
            f"LIUHEN_DATA_DIR: 签名密钥 {path} 的指纹 {key_fingerprint(key)} 不是本日志的密钥"
            f"（指纹 {recorded}）：{install_hint(path, recorded)}"
        )


def needs_first_admin(settings: Settings) -> bool:
    """True when ``initialise`` would have to create the first admin (no schema or no users).

    A database that cannot be reached raises its ConfigError here: that is the problem to
    report, not the missing password."""
    if settings.is_sqlite and not settings.data_dir.exists():
        return True
    engine = make_engine(settings)
    try:
        check_connection(engine, settings)
        if not is_initialised(engine):
            return True
        with engine.connect() as conn:
            return user_total(conn) == 0
    finally:
        engine.dispose()


def initialise(
    settings: Settings,
    *,
    admin_username: str = "admin",
    admin_password: str | None,
    clock: Clock = utcnow,
    protect: bool | None = None,
) -> InitResult:
    """Idempotent: a second run changes nothing and creates no second admin. ``protect``
    True encrypts the signing key file with the configured passphrase, False decrypts it
    (the same key: its fingerprint does not change)."""
    created, upgraded_from = upgrade_schema(settings)
    ensure_key(settings)
    changed = False
    if protect is not None:
        changed = protect_key(settings.signing_key_path, key_passphrase(settings), encrypt=protect)
    store = Store.open(settings, clock=clock)
    try:
        store.build_tiles()  # a store upgraded from before ``ledger_tiles``: its tree, once
        admin = None
        if user_count(store) == 0:
            admin = _first_admin(store, admin_username, admin_password)
        elif created:
            raise Conflict("数据库已有用户，但结构是新建的：请检查 LIUHEN_DATABASE_URL")
        if changed:
            _record_protection(store, encrypted=bool(protect))
        adopted, left_out = adopt_stations(store)
        return InitResult(
            created_schema=created,
            admin=admin,
            fingerprint=store.fingerprint,
            key_encrypted=is_encrypted(settings.signing_key_path),
            key_changed=changed,
            stations_adopted=tuple(adopted),
            stations_left_out=tuple(left_out),
            upgraded_from=upgraded_from,
            schema_revision=head_revision(),
        )
    finally:
        store.close()


def _first_admin(store: Store, username: str, password: str | None) -> User:
    """A store with no user yet: the ledger says it was initialised, then the first
    administrator is added."""
    if not password:
        raise ConfigError(
            "LIUHEN_ADMIN_PASSWORD: 首个管理员需要密码（--admin-password 或交互输入）"
        )
    system = Actor.system("初始化")
    with store.transaction(system) as tx:
        tx.record(
            "system.initialised",
            subject_type="store",
            subject_id="all",
            payload={
                "key_fingerprint": store.fingerprint,
                "database": store.settings.is_sqlite and "sqlite" or "postgresql",
            },
        )
    return add_user(
        store, system, username=username, password=password, display_name="系统管理员",
        roles=["admin"],
    )  # fmt: skip


def _record_protection(store: Store, *, encrypted: bool) -> None:
    """The key file's encryption changed: a ledger event says when and to what (the key,
    and so its fingerprint, is the same)."""
    with store.transaction(Actor.system("初始化")) as tx:
        tx.record(
            "system.key_encrypted" if encrypted else "system.key_decrypted",
            subject_type="store",
            subject_id="all",
            payload={"key_fingerprint": store.fingerprint},
        )


def generate_password(length: int = 16) -> str:
    """A random password that passes the policy (for demo accounts and first runs)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = (
            "".join(secrets.choice(alphabet) for _ in range(length - 2))
            + "-"
            + secrets.choice(string.digits)
        )
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw):
            return pw
