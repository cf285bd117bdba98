"""How a value enters a statement: as itself (``literal``), or as a named parameter
(``parameter``), so that one statement serves every value of the same shape and is built
once (SQLAlchemy took 0.5–2.5 ms to build a case list's statement, as long as the database
took to run it). A builder takes a ``Bind`` and calls it for each value it writes in."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import bindparam

Bind = Callable[..., Any]
"""``bind(name, value, expanding=False, type_=None)``: what stands for ``value`` in a
statement."""


def literal(name: str, value: Any, expanding: bool = False, type_: Any = None) -> Any:
    """The value itself (a statement for these values only)."""
    return value


def parameter(name: str, value: Any, expanding: bool = False, type_: Any = None) -> Any:
    """The parameter ``name`` of type ``type_`` (its value given when the statement runs;
    ``value`` is not kept in it)."""
    return bindparam(name, expanding=expanding, type_=type_)


class Kept:
    """Statements kept by shape, at most ``size`` (the oldest made goes first), shared by the
    request threads: ``get(key, build)`` gives the statement kept for ``key``, built by
    ``build()`` the first time."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            found = self._items.get(key)
        if found is None:  # two threads may build the same: the same statement either way
            found = build()
            with self._lock:
                self._items[key] = found
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return found

    def __len__(self) -> int:
        return len(self._items)
