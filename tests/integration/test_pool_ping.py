"""PostgreSQL connections are checked for life only after sitting idle (``PING_IDLE``), not
at every checkout (a round trip that was a third of an inclusion proof's time): a connection
used a moment ago is handed out as it is, with no round trip (so one that died that moment
fails its statement once, and the pool then connects afresh), and one that died while idle
(its server process ended, as a restart ends them) is replaced before anyone uses it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from liuhen.store import database
from liuhen.store.database import make_engine
from liuhen.store.store import Store

pytestmark = pytest.mark.postgres


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path, make_settings):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path / "data", engine=request.param)


def _end_the_pooled_connection(store: Store) -> int:
    """End the server process of the one connection the pool holds, from outside the pool."""
    store.engine.dispose()
    with store.read() as conn:
        pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    outside = make_engine(store.settings)
    try:
        with outside.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
    finally:
        outside.dispose()
    return pid


def _pid(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_round_trip(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PING_IDLE", 3600.0)
    pid = _end_the_pooled_connection(store)
    with pytest.raises(Exception):  # noqa: B017 - the driver's error, as the database ended it
        _pid(store)
    assert _pid(store) != pid  # the pool connected afresh


def test_a_connection_that_died_while_idle_is_replaced_before_use(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PING_IDLE", 0.0)
    pid = _end_the_pooled_connection(store)
    assert _pid(store) != pid
