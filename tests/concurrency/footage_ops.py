"""The footage-redaction operation the racing processes run (module level, so a spawned
process can import it): an approver confirms the marks of a video, then has the redacted
video made."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from liuhen.ledger.events import Actor
from liuhen.services.access.footage import confirm_footage
from liuhen.services.access.footage_render import render_footage
from liuhen.store.store import Store


def confirm_and_render(
    store: Store, actor: Actor, request_id: str, record_id: str, marks: Sequence[Mapping[str, Any]]
) -> str:
    confirm_footage(store, actor, request_id, record_id, marks)
    return render_footage(store, actor, request_id, record_id)
