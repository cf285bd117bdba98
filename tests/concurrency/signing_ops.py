"""The signing operation the racing processes run (module level, so a spawned process can
import it): the party signs one line of a document on the screen."""

from __future__ import annotations

from liuhen.ledger.events import Actor
from liuhen.services.cases.signing import sign_line
from liuhen.store.store import Store


def sign(store: Store, actor: Actor, case_id: str, record_id: str, png: bytes) -> str:
    signed = sign_line(
        store, actor, case_id=case_id, record_id=record_id, slot="party-1", name="李建华", image=png
    )
    return signed.record_id
