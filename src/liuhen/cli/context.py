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
    """The person at the server's command line: acts with the admin's permissions."""
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(id=None, label=f"命令行操作员（{who}）", roles=("admin",))


def open_store(ctx: click.Context) -> Store:
    """Open the configured store, or fail with one line saying to run ``liuhen init``."""
    from liuhen.store.database import is_initialised, make_engine
    from liuhen.store.store import Store

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
    finally:
        engine.dispose()
    store = Store.open(settings)
    ctx.call_on_close(store.close)
    return store


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
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
