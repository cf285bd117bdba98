"""How a value enters a statement: as itself (``literal``), or as a named parameter
(``parameter``), so that one statement serves every value of the same shape and is built
once (SQLAlchemy took 0.5–2.5 ms to build a case list's statement, as long as the database
took to run it). A builder takes a ``Bind`` and calls it for each value it writes in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam

Bind = Callable[..., Any]
"""``bind(name, value, expanding=False)``: what stands for ``value`` in a statement."""


def literal(name: str, value: Any, expanding: bool = False) -> Any:
    """The value itself (a statement for these values only)."""
    return value


def parameter(name: str, value: Any, expanding: bool = False) -> Any:
    """The parameter ``name`` (its value given when the statement runs)."""
    return bindparam(name, expanding=expanding)
