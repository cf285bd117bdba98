"""Turning the group's options into one ``Settings`` (the CLI's only edge to config)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from liuhen.config import Settings
from liuhen.errors import ConfigError
from liuhen.ledger.events import Actor

if TYPE_CHECKING:
    from liuhen.store.store import Store


def settings_from(ctx: click.Context) -> Settings:
    root = ctx.find_root()
    cached = root.meta.get("liuhen.settings")
    if cached is None:
        cached = Settings.from_env(**(root.obj or {}))
        root.meta["liuhen.settings"] = cached
    return cached


def emit_json(payload: object) -> None:
    """Print one JSON document on stdout."""
    import json

    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def operator_actor() -> Actor:
    """Who a command acts as: the user named by ``liuhen --as USERNAME`` (their roles,
    agency, section and officer, so the same scoped check applies), else the person at the
    server's command line with the admin's permissions (not confined to one agency)."""
    import getpass

    ctx = click.get_current_context(silent=True)
    username = ctx.meta.get("liuhen.as_user") if ctx is not None else None
    if ctx is not None and username:
        from liuhen.errors import AuthError
        from liuhen.services.admin.users import find_user

        user = find_user(open_store(ctx), username)
        if user is None or user.disabled:
            raise AuthError(f"--as: 用户 {username} 不存在或已停用")
        return user.actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(id=None, label=f"命令行操作员（{who}）", roles=("admin",))


NO_RECOVERY = frozenset({"verify", "ledger proof", "clean-uploads", "gc"})
"""Commands that open the store without the start-up recovery: ``verify`` and ``ledger
proof`` only read (``verify`` reports what a crash left instead: ``recovery.leftovers``);
``clean-uploads`` does the uploads' part itself and says what it removed; ``gc`` lists
without changing anything, and with ``--delete`` removes the blobs a crash left itself,
each on the ledger."""


def open_store(ctx: click.Context) -> Store:
    """Open the configured store (once per command), or fail with one line saying to run
    ``liuhen init``. Opening it to work in it is "the next start" after a crash: what killed
    processes left is removed or completed first (``services.archiving.recovery``)."""
    from liuhen.store.database import is_initialised, make_engine, schema_lag, schema_mismatch
    from liuhen.store.store import Store

    root = ctx.find_root()
    if "liuhen.store" in root.meta:
        opened: Store = root.meta["liuhen.store"]
        return opened

    settings = settings_from(ctx)
    if settings.is_sqlite and not settings.data_dir.exists():
        raise ConfigError(
            f"LIUHEN_DATA_DIR: 数据目录 {settings.data_dir} 不存在，请先运行 liuhen init"
        )
    engine = make_engine(settings)
    try:
        from liuhen.store.database import check_connection

        check_connection(engine, settings)
        if not is_initialised(engine):
            raise ConfigError("数据库尚未初始化，请先运行 liuhen init")
        lag = schema_lag(engine)
        if lag is not None:
            problem, fix = schema_mismatch(*lag)
            raise ConfigError(f"{problem}：请先{'运行 ' if fix.startswith('liuhen') else ''}{fix}")
    finally:
        engine.dispose()
    store = Store.open(settings)
    root.meta["liuhen.store"] = store
    root.call_on_close(store.close)
    if _command(ctx) not in NO_RECOVERY:
        from liuhen.services.admin.key_custody import check_node_key
        from liuhen.services.archiving.recovery import recover
        from liuhen.services.archiving.seals import adopt_seals_on_start

        check_node_key(store)  # before anything is signed, recovery included
        recover(store)
        adopt_seals_on_start(store)  # an earlier version's plaintext seal files, encrypted
    return store


def _command(ctx: click.Context) -> str:
    """The command as typed after ``liuhen`` (``ledger proof``)."""
    return ctx.command_path.partition(" ")[2]


class AuditedGroup(click.Group):
    """The ``liuhen`` group: a refused command is written to the ledger (its own
    transaction, after the refused work rolled back) before the error is shown."""

    def invoke(self, ctx: click.Context) -> object:
        from liuhen.errors import PermissionDenied
        from liuhen.services.permissions import record_denial

        try:
            return super().invoke(ctx)
        except PermissionDenied as exc:
            store = ctx.meta.get("liuhen.store")
            if store is not None:
                record_denial(store, exc)
            raise


class Progress:
    """A progress bar on stderr for long work, only when a person is watching."""

    def __init__(self, label: str, total: int) -> None:
        import sys

        self._bar = None
        if sys.stderr.isatty() and total > 0:
            self._bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self._bar.__enter__()
        self._done = 0

    def update_to(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        """End the bar (a second call does nothing)."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
