"""Many cases at once, for benchmarks and the stores statement-budget tests build: each case
written by the bundle import's own writer (every row fingerprinted, one ``case.imported``
event), ``chunk`` cases to a transaction instead of one each, and their summaries computed
in memory and stored beside them, so the store starts with a fresh cache."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import select

from liuhen.ledger.events import Actor
from liuhen.services.cases import summaries
from liuhen.services.cases.bundle_import import _write_case, remap
from liuhen.store import tables as t
from liuhen.store.store import Store

CHUNK = 500
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def shifted(value: Any, delta: timedelta) -> Any:
    """``value`` (a bundle or any part of it) with every ISO time in it moved by ``delta``."""
    if isinstance(value, dict):
        return {k: shifted(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v, delta) for v in value]
    if isinstance(value, str) and _ISO.match(value):
        return (datetime.fromisoformat(value) + delta).isoformat()
    return value


def stored_officers(bundle: Mapping[str, Any], by_cert: Mapping[str, str]) -> dict[str, Any]:
    """The bundle with officer ids as the store assigned them (matched by certificate)."""
    ids = {o["id"]: by_cert[o["certificate_number"]] for o in bundle.get("officers", [])}
    out: dict[str, Any] = remap(bundle, ids)  # every officer_id(s) reference follows
    out["officers"] = [{**o, "id": ids[o["id"]]} for o in bundle.get("officers", [])]
    return out


def write_cases(
    store: Store,
    actor: Actor,
    bundles: Iterable[dict[str, Any]],
    *,
    note: Mapping[str, Any] | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Write every bundle of ``bundles`` (made lazily, in order) as a case; ``note`` goes in
    each ``case.imported`` event's payload, ``progress`` hears how many are written after
    each transaction. Returns the new cases' ids in order."""
    made: list[str] = []
    pending = iter(bundles)
    while batch := list(islice(pending, chunk)):
        written: list[tuple[str, dict[str, Any], int]] = []
        with store.transaction(actor) as tx:
            for bundle in batch:
                case_id = _write_case(tx, store, actor, bundle)
                seq = tx.record(
                    "case.imported",
                    subject_type="case",
                    subject_id=case_id,
                    case_id=case_id,
                    payload={"number": bundle["case"]["number"], **(note or {})},
                )
                written.append((case_id, bundle, seq))
        ids = [case_id for case_id, _, _ in written]
        with store.read() as conn:
            by_cert = dict(conn.execute(select(t.officers.c.certificate_no, t.officers.c.id)).all())
            agency_of = dict(
                conn.execute(
                    select(t.cases.c.id, t.cases.c.agency_id).where(t.cases.c.id.in_(ids))
                ).all()
            )
        now = store.clock()
        rows = []
        for case_id, bundle, seq in written:
            stage = "closed" if bundle["case"].get("ended_at") else "initiation"
            summary = summaries.summarise_bundle(
                stored_officers(bundle, by_cert), stage=stage, now=now
            )
            rows.append((case_id, agency_of[case_id], summary, seq))
        summaries.save(store, rows)
        made += ids
        if progress is not None:
            progress(len(made))
    return made
