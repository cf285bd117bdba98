"""AV records and their files: one record, its versions, the latest versions of a case's, an
act's or no case's footage, and who holds a file."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Select, Text, bindparam, exists, select, type_coerce

from liuhen.store import tables as t
from liuhen.store.store import Store


def record_files(conn: Connection, record_id: str) -> list[dict[str, Any]]:
    """The files of one record, by position."""
    rows = conn.execute(
        select(t.record_files)
        .where(t.record_files.c.record_id == record_id)
        .order_by(t.record_files.c.position)
    )
    return [dict(r) for r in rows.mappings()]


_LATER = t.records.alias("later")
_LATEST = (
    select(t.records)
    .where(~exists().where(_LATER.c.supersedes_id == t.records.c.id))  # by index
    .order_by(t.records.c.created_at)
)
"""Records no later row supersedes, oldest first (built once: an alias's columns are
collected on first use, about a tenth of a case page's SQL time when built per call)."""


def latest_where(where: Any) -> Select[Any]:
    """The statement ``current_rows`` runs; built once where ``where`` is fixed, its cache
    key is computed once too (half the cost of a small query)."""
    return _LATEST.where(where)


_ACT_FOOTAGE = latest_where(
    (t.records.c.kind == "av") & (t.records.c.act_id == bindparam("act_id"))
)


def current_rows(conn: Connection, where: Any) -> list[dict[str, Any]]:
    """Latest versions only (no later row supersedes them) of the records ``where`` picks."""
    return [dict(r) for r in conn.execute(latest_where(where)).mappings()]


def act_footage(conn: Connection, act_id: str) -> list[dict[str, Any]]:
    """The latest versions of the AV records of one act."""
    return [dict(r) for r in conn.execute(_ACT_FOOTAGE, {"act_id": act_id}).mappings()]


def record_and_files(
    store: Store, record_id: str, kinds: Collection[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """A record with its files (by position) when it exists and is one of ``kinds``."""
    with store.read() as conn:
        rec = conn.execute(select(t.records).where(t.records.c.id == record_id)).mappings().first()
        if rec is None or rec["kind"] not in kinds:
            return None
        return dict(rec), record_files(conn, record_id)


def newer_version_id(conn: Connection, record_id: str) -> str | None:
    """The id of the version that supersedes ``record_id``, if any."""
    newer = conn.execute(
        select(t.records.c.id).where(t.records.c.supersedes_id == record_id)
    ).scalar()
    return None if newer is None else str(newer)


def latest_version_id(store: Store, record_id: str) -> str:
    """The newest version of the record that ``record_id`` is one version of."""
    current = record_id
    with store.read() as conn:
        while True:
            newer = newer_version_id(conn, current)
            if newer is None:
                return current
            current = newer


def segment_holder(store: Store, sha256: str) -> str | None:
    """A record holding a segment with these bytes, if any."""
    with store.read() as conn:
        return segment_holders(conn, [sha256]).get(sha256)


def segment_holders(conn: Connection, hashes: Sequence[str]) -> dict[str, str]:
    """sha256 -> a record holding a segment with those bytes, for those of ``hashes`` held
    (one query, on a connection the caller holds: inside its transaction)."""
    rows = conn.execute(
        select(t.record_files.c.blob_sha256, t.record_files.c.record_id).where(
            t.record_files.c.blob_sha256.in_(list(hashes)), t.record_files.c.role == "segment"
        )
    )
    return {str(sha): str(record_id) for sha, record_id in rows}


def segments_named(store: Store, name: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(record id, SHA-256, record details) of the stored segments with this file name."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.record_files.c.record_id, t.record_files.c.blob_sha256, t.records.c.details)
            .join(t.records, t.records.c.id == t.record_files.c.record_id)
            .where(t.record_files.c.file_name == name, t.record_files.c.role == "segment")
        ).all()
    return [(rid, sha, details) for rid, sha, details in rows]


def case_and_act_of_record(store: Store, record_id: str) -> tuple[str | None, str | None] | None:
    """(case id, act id) of a record, or None when there is no such record."""
    with store.read() as conn:
        row = conn.execute(
            select(t.records.c.case_id, t.records.c.act_id).where(t.records.c.id == record_id)
        ).first()
    return None if row is None else (row.case_id, row.act_id)


def case_of_act(store: Store, act_id: str) -> str | None:
    """The case an act belongs to, or None when there is no such act."""
    with store.read() as conn:
        case_id = conn.execute(select(t.acts.c.case_id).where(t.acts.c.id == act_id)).scalar()
    return None if case_id is None else str(case_id)


def footage_naming_devices(conn: Connection, devices: Sequence[str]) -> list[dict[str, Any]]:
    """Latest AV versions whose details name one of ``devices`` (a text match narrows the
    search in the database; the caller compares the parsed details exactly)."""
    text = type_coerce(t.records.c.details, Text)
    fragments = [
        text.contains(
            json.dumps({"device_id": d}, ensure_ascii=False, separators=(",", ":"))[1:-1],
            autoescape=True,
        )
        for d in devices
    ]
    where = t.records.c.kind == "av"
    condition = fragments[0]
    for fragment in fragments[1:]:
        condition = condition | fragment
    return current_rows(conn, where & condition)
