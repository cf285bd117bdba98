"""What a failure of the database means to the user: ``explain`` turns the driver's error
into a ``LiuhenError``, so an outage or a lost race answers in the project's format (HTTP
503 or 409, one line on the command line), never as a bare 500 or a traceback.

- a connection lost, refused or reset (PostgreSQL restarted, the connection terminated by an
  administrator, the network down) or SQLite busy past its timeout: ``Unavailable`` — nothing
  was saved, the same request can be sent again;
- a deadlock or a serialisation failure (PostgreSQL chose this transaction to roll back):
  ``Conflict`` — another writer changed the same thing at the same moment;
- a wait for a row lock past the bound a write batch sets (``held_events``): ``Unavailable``;
- a unique constraint: ``Conflict`` naming it (``store/conflicts``)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from liuhen.errors import Conflict, LiuhenError, Unavailable
from liuhen.store.conflicts import conflict

RACE_STATES = frozenset({"40P01", "40001"})
"""PostgreSQL's deadlock_detected and serialization_failure."""
LOCK_WAITED = "55P03"
"""PostgreSQL's lock_not_available: a wait for a row lock ran past ``lock_timeout`` (a
later unit of a write batch, ``held_events``)."""


def lock_waited(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == LOCK_WAITED


def _reason(exc: DBAPIError) -> str:
    lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


SQLITE_OUTAGES = ("locked", "busy", "unable to open", "disk i/o")
"""SQLite's operational errors that are outages; its others (no such table …) are bugs."""


def _outage(exc: DBAPIError) -> bool:
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        return any(word in str(exc.orig).lower() for word in SQLITE_OUTAGES)
    return True


def explain(exc: BaseException) -> LiuhenError | None:
    """The ``LiuhenError`` a database failure stands for; None for anything else (a bug)."""
    if isinstance(exc, LiuhenError):
        return exc
    if not isinstance(exc, DBAPIError):
        return None
    state = getattr(exc.orig, "sqlstate", None)
    if state in RACE_STATES:
        return Conflict("与同时进行的另一操作冲突，未保存：请刷新页面查看最新状态后重试")
    if state == LOCK_WAITED:
        return Unavailable("另一操作正在修改同一记录，本次未保存：请稍后重试")
    if isinstance(exc, IntegrityError):
        table = getattr(getattr(exc.orig, "diag", None), "table_name", None) or "数据库"
        return conflict(str(table), exc)
    if exc.connection_invalidated or _outage(exc):
        return Unavailable(
            f"数据库暂时无法访问（{_reason(exc)}）：本次操作未保存，请稍后重试；"
            "如持续出现，请检查数据库服务与 LIUHEN_DATABASE_URL"
        )
    return None
