"""The 案卷评查 operation the racing processes run (module level, so a spawned process can
import it)."""

from __future__ import annotations

from typing import Any

from liuhen.ledger.events import Actor
from liuhen.services.oversight.scoring import sign_review
from liuhen.store.store import Store


def sign(store: Store, actor: Actor, case_id: str, seen: int, scores: dict[str, Any]) -> int:
    return int(sign_review(store, actor, case_id, seen, scores)["version"])
