"""One dialect and one compiled-statement cache for every engine a process opens on a server.

SQLAlchemy caches a statement's compiled SQL per engine, keyed by the engine's dialect
object: a new engine compiles every statement again (a tenth of a millisecond to a
millisecond each). A long-running server opens one engine and pays it once, but a process
that opens the store many times pays it each time: ``liuhen init`` opens three engines and
the test suite thousands, where compiling was about a twentieth of all its CPU (an eighth of
the CLI route walk's, ~400 stores).

``share`` gives a new engine the dialect of an engine opened earlier on the same server
(the same driver, host, port, role and connection options: ``server_key``; every SQLite
file is read by the same library, so all of them share one) and that dialect's compiled
cache. A dialect is shared only once its first connection has initialised it (server
version, default schema, isolation level): the engine that connects first registers its
own. The engine's own dialect still initialises on its first connection (SQLAlchemy's
connect hooks hold it), and its per-connection set-up (``on_connect``) is the same as the
shared one's, since both were made from the same arguments by the same ``make_engine``.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.util import LRUCache

CACHE_SIZE = 2_000
"""Compiled statements kept per server: every statement LiuHen runs, with room to spare
(the engine's own default is 500)."""

_SHARED: dict[tuple[Any, ...], tuple[Dialect, LRUCache[Any, Any]]] = {}
_LOCK = threading.Lock()


def server_key(engine: Engine, options: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a dialect depends on: the driver and the server (not the database: databases
    of one server and role answer the same), and the ``make_engine`` options it was made
    with."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return (url.drivername, options)
    query = tuple(sorted((k, str(v)) for k, v in url.query.items()))  # sslmode, options…
    return (url.drivername, url.host, url.port, url.username, query, options)


def share(engine: Engine, options: tuple[Any, ...] = ()) -> Engine:
    """``engine`` with the process's dialect and compiled cache for its server, when an
    earlier engine has connected to it; otherwise ``engine`` registers its own once its
    first connection has initialised it."""
    key = server_key(engine, options)
    with _LOCK:
        shared = _SHARED.get(key)
    if shared is not None:
        dialect, cache = shared
        engine.dialect = dialect
        engine.pool._dialect = dialect
        engine._compiled_cache = cache
        return engine

    def register(_dbapi_connection: Any, _record: Any) -> None:
        # Runs after SQLAlchemy's own first-connect hook (listened to before this one),
        # so the dialect is initialised.
        with _LOCK:
            if key not in _SHARED:
                cache: LRUCache[Any, Any] = LRUCache(CACHE_SIZE)
                _SHARED[key] = (engine.dialect, cache)
                engine._compiled_cache = cache

    event.listen(engine.pool, "connect", register, once=True)
    return engine
