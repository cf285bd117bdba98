"""Engines a process opens on one server share one dialect and one compiled-statement cache
(``store/compiled_cache.py``): a statement compiled for one store is not compiled again for
the next, and each store still reads its own rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.engine.interfaces import CacheStats

from liuhen.store import compiled_cache
from liuhen.store.database import make_engine

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
PROBE = Table("compiled_cache_probe", MetaData(), Column("x", Integer()))
READ = select(PROBE.c.x).where(PROBE.c.x > 0)


def _made(engine: Any, value: int) -> None:
    with engine.begin() as conn:
        PROBE.create(conn)
        conn.execute(PROBE.insert().values(x=value))


def _read(engine: Any) -> tuple[list[int], CacheStats]:
    with engine.connect() as conn:
        result = conn.execute(READ)
        return list(result.scalars()), result.context.cache_hit


@pytest.mark.parametrize("engine_name", ENGINES)
def test_a_store_opened_later_on_the_server_reuses_the_compiled_statements(
    engine_name: str, make_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = (make_settings(tmp_path / name, engine=engine_name) for name in "abc")
    monkeypatch.setattr(compiled_cache, "_SHARED", {})  # as in a process that opened none
    first, early = make_engine(a), make_engine(b)
    try:
        _made(first, 1)  # connects: the first engine's dialect is now the server's
        assert _read(first) == ([1], CacheStats.CACHE_MISS)
        later = make_engine(c)
        try:
            assert later.dialect is first.dialect
            assert later._compiled_cache is first._compiled_cache
            _made(later, 3)
            assert _read(later) == ([3], CacheStats.CACHE_HIT)  # compiled for the first
            assert _read(first) == ([1], CacheStats.CACHE_HIT)  # each reads its own rows
        finally:
            later.dispose()
        # An engine made before any had connected keeps its own dialect (its own first
        # connection initialised it) and its own cache, and reads its own rows.
        assert early.dialect is not first.dialect
        _made(early, 2)
        assert _read(early) == ([2], CacheStats.CACHE_MISS)
        assert _read(early) == ([2], CacheStats.CACHE_HIT)
    finally:
        first.dispose()
        early.dispose()


def test_servers_are_told_apart_by_driver_host_port_role_and_options() -> None:
    from sqlalchemy import create_engine

    def key(url: str) -> tuple[Any, ...]:
        return compiled_cache.server_key(create_engine(url), ())

    pg = "postgresql+psycopg://u@127.0.0.1:5432/one"
    assert key(pg) == key("postgresql+psycopg://u@127.0.0.1:5432/two")
    assert key(pg) != key("postgresql+psycopg://u@127.0.0.1:5433/one")
    assert key(pg) != key("postgresql+psycopg://v@127.0.0.1:5432/one")
    assert key(pg) != key("postgresql+psycopg://u@10.0.0.2:5432/one")
    assert key(pg) != key("postgresql+psycopg://u@127.0.0.1:5432/one?sslmode=require")
    assert key("sqlite:////tmp/a.db") == key("sqlite:////tmp/b.db") != key(pg)
