"""The operation the export-job concurrency test races (module-level, so the harness's
processes can import it): asking for a case's export from the web."""

from __future__ import annotations

from liuhen.ledger.events import Actor
from liuhen.store.store import Store


def request_export(store: Store, actor: Actor, case_id: str, kind: str) -> str:
    """``services/archiving/export_jobs.request_export``: "<job id> made|found"."""
    from liuhen.services.archiving.export_jobs import request_export as ask

    job, made = ask(store, actor, case_id, kind)
    return f"{job.id} {'made' if made else 'found'}"
