"""Registering the witnesses of this store's ledger (``liuhen witness add | list``).

A registration is a ledger event (``witness.added``) and a line of the store's witness
registry (``store.witnesses``); the newest checkpoint is sent at once, so a new witness
starts from the present. The county's 司法行政部门 runs ``liuhen witness serve`` and gives
each township its URL and cosigning key; the township gives the county its log key
(``log_vkey``), which the witness pins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from liuhen.errors import Conflict, InvalidInput
from liuhen.ledger.events import Actor
from liuhen.ledger.note import COSIGNATURE_V1, parse_vkey, vkey
from liuhen.services.permissions import require
from liuhen.store.checkpoint_log import newest_in
from liuhen.store.recovery import catch_up_witnesses
from liuhen.store.store import Store
from liuhen.store.witnesses import WitnessSpec, kind_of, read_registry, write_registry
from liuhen.store.witnesses import cosigned as cosigned_file

ADDED = "witness.added"


def log_vkey(store: Store) -> str:
    """This ledger's verifier key (``<origin>+<key ID>+<key>``), for a witness to pin."""
    return vkey(store.origin, store.key.public_key())


def _spec(target: str, key: str | None, name: str | None) -> WitnessSpec:
    kind = kind_of(target)
    if kind == "http":
        if not key:
            raise InvalidInput(
                "--key: HTTP 见证需要给出其副署公钥（vkey，见证端 liuhen witness serve 打印）"
            )
        try:
            witness = parse_vkey(key)
        except ValueError as exc:
            raise InvalidInput(f"--key: {key!r} 不是见证公钥（vkey）：{exc}") from None
        if witness.sig_type != COSIGNATURE_V1:
            raise InvalidInput("--key: 不是副署（cosignature/v1）公钥")
        return WitnessSpec(name or witness.name, kind, target.rstrip("/"), witness.text)
    if key:
        raise InvalidInput("--key: 只有 HTTP 见证有副署公钥；目录与存储桶见证只保存检查点")
    if kind == "dir":
        path = Path(target).expanduser()
        if not path.is_absolute():
            raise InvalidInput(f"{target}: 见证目录请给出绝对路径")
        path.mkdir(parents=True, exist_ok=True)
        return WitnessSpec(name or f"dir:{path}", kind, str(path))
    return WitnessSpec(name or target, kind, target)


def add_witness(
    store: Store, actor: Actor, target: str, *, key: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """Register a witness, record it on the ledger, and send it the newest checkpoint."""
    require(actor, "ledger.checkpoint")
    spec = _spec(target, key, name)
    folder = store.witnesses.folder
    specs = read_registry(folder)
    if any(s.name == spec.name or s.target == spec.target for s in specs):
        raise Conflict(f"见证 {spec.name} 已登记")
    with store.transaction(actor) as tx:
        tx.record(ADDED, subject_type="witness", subject_id=spec.name, payload=spec.to_dict())
    write_registry(folder, [*specs, spec])
    outcome = catch_up_witnesses(store).get(spec.name, "ok")
    return {**describe(store, spec), "sent": outcome}


def list_witnesses(store: Store, actor: Actor) -> dict[str, Any]:
    require(actor, "ledger.read")
    latest = store.latest_checkpoint()
    return {
        "log": log_vkey(store) if store.public_key is not None else None,
        "signed_size": int(latest["tree_size"]) if latest else 0,
        "witnesses": [describe(store, s) for s in store.witnesses.specs()],
    }


def describe(store: Store, spec: WitnessSpec) -> dict[str, Any]:
    """A witness with the newest checkpoint it holds from this store, as far as the store
    knows (HTTP: the newest cosigned; directory: its file's newest line; bucket: not listed
    here, ``verify`` reads it)."""
    held: int | None = None
    if spec.kind == "http":
        held = cosigned_file.newest_size(store.witnesses.cosigned_path(spec))
    elif spec.kind == "dir":
        found = newest_in(Path(spec.target) / "checkpoints.jsonl")
        held = None if found is None or found < 0 else found
    return {
        **spec.to_dict(),
        "last_size": held,
        "last_error": store.witnesses.last_error.get(spec.name),
    }
