"""The web server runs the fixity audit on a schedule (``liuhen serve``): a due blob is
re-hashed by the background job, the run is a ledger event, and shutdown stops the job."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.helpers import make_case_with_files

from liuhen.services.archiving.fixity import ACTION
from liuhen.store import tables as t
from liuhen.web.app import create_app


def _runs(store) -> list[dict]:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(t.ledger_events).where(t.ledger_events.c.action == ACTION)
            ).mappings()
        ]


def test_server_scheduler_runs_a_due_audit_and_stops_on_shutdown(store, tmp_path, clock):
    made = make_case_with_files(store, tmp_path)
    clock.advance(days=store.settings.fixity_cycle_days + 1)  # the blob is now due
    app = create_app(store.settings, store=store, fixity_interval=0.2)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        scheduler = app.state.fixity_scheduler
        assert scheduler is not None and scheduler.alive
        deadline = time.monotonic() + 20
        while not _runs(store) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert not scheduler.alive
    runs = _runs(store)
    assert runs, "the scheduled audit did not run"
    assert runs[0]["payload"]["checked"] == [made["blob"]]
    assert runs[0]["actor_label"].startswith("定期复核")
    # nothing is due any more: later runs check nothing
    assert all(r["payload"]["checked"] == [] for r in runs[1:])


def test_no_scheduler_unless_asked(sqlite_settings, tmp_path):
    from tests.conftest import ADMIN_PASSWORD

    from liuhen.services.admin.setup import initialise

    initialise(sqlite_settings, admin_password=ADMIN_PASSWORD)
    app = create_app(sqlite_settings)
    with TestClient(app):
        assert app.state.fixity_scheduler is None
    app.state.store.close()
