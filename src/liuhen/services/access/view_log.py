"""Every view of a case is a ledger event (``case.viewed``): pages and API reads that show a
case's content, other than the case page itself, note here what was shown."""

from __future__ import annotations

from typing import Any

from liuhen.ledger.events import Actor
from liuhen.store.store import Store


def log_view(store: Store, actor: Actor, case_id: str | None, what: str, **payload: Any) -> None:
    """Record that ``actor`` saw ``what`` of the case (nothing for footage without a case)."""
    if not case_id:
        return
    store.record_view(  # durable before the page is sent; many views share a commit
        actor,
        "case.viewed",
        subject_type="case",
        subject_id=case_id,
        case_id=case_id,
        payload={"what": what, **payload},
    )
