"""Reads for disposal (处置): the tombstones in ``disposals``, the files and blobs a disposal
covers, which other records still use a blob, and the approvals that may authorise it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, select

from liuhen.store import tables as t
from liuhen.store.store import Store


def _tombstone(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "sha256": row["blob_sha256"],
        "record_id": row["record_id"],
        "case_id": row["case_id"],
        "at": row["created_at"].isoformat(),
        "reason": row["reason"],
        "retention_until": row["retention_until"].isoformat(),
        **{k: row["details"].get(k) for k in ("sm3", "size", "file_name", "position")},
        **{
            k: row["details"].get(k)
            for k in ("approval_id", "class", "class_name", "citation", "bytes_removed")
        },
    }


def disposal_rows(store: Store) -> list[dict[str, Any]]:
    """Every ``disposals`` row as stored, oldest first."""
    with store.read() as conn:
        rows = conn.execute(select(t.disposals).order_by(t.disposals.c.created_at)).mappings()
        return [dict(r) for r in rows]


def tombstones(store: Store) -> list[dict[str, Any]]:
    """Every tombstone, oldest first."""
    return [_tombstone(r) for r in disposal_rows(store)]


def tombstones_of_records(record_ids: list[str], store: Store) -> list[dict[str, Any]]:
    """The tombstones of the records ``record_ids``, oldest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.disposals)
            .where(t.disposals.c.record_id.in_(record_ids))
            .order_by(t.disposals.c.created_at)
        ).mappings()
        return [_tombstone(r) for r in rows]


def any_tombstone(conn: Connection, record_ids: list[str]) -> bool:
    """Whether a file of one of ``record_ids`` has a tombstone (inside the caller's
    transaction: a disposal looks again under its lock)."""
    query = select(t.disposals.c.id).where(t.disposals.c.record_id.in_(record_ids)).limit(1)
    return conn.execute(query).first() is not None


RECORD_TOMBSTONES = select(t.disposals).where(t.disposals.c.record_id == bindparam("record_id"))


def tombstones_of_record(store: Store, record_id: str) -> list[dict[str, Any]]:
    """The tombstones of one record's files, in no set order."""
    with store.read() as conn:
        return tombstones_on(conn, record_id)


def tombstones_on(conn: Connection, record_id: str) -> list[dict[str, Any]]:
    """``tombstones_of_record`` on the caller's connection."""
    rows = conn.execute(RECORD_TOMBSTONES, {"record_id": record_id}).mappings().all()
    return [_tombstone(r) for r in rows]


def disposed_blobs(store: Store) -> set[str]:
    """Blobs whose bytes an approved disposal removed (their tombstones say so)."""
    with store.read() as conn:
        rows = conn.execute(select(t.disposals.c.blob_sha256, t.disposals.c.details)).all()
    return {sha for sha, details in rows if details.get("bytes_removed")}


def disposed_in_case(store: Store, case_id: str) -> set[str]:
    """The blobs of the case's disposed files (bytes removed or not)."""
    with store.read() as conn:
        return {
            sha
            for (sha,) in conn.execute(
                select(t.disposals.c.blob_sha256).where(t.disposals.c.case_id == case_id)
            )
        }


def record_file_blobs(store: Store, record_ids: list[str]) -> list[dict[str, Any]]:
    """The files of the records ``record_ids`` with their blobs' SM3 and size, by record and
    position."""
    with store.read() as conn:
        rows = conn.execute(
            select(
                t.record_files.c.record_id,
                t.record_files.c.position,
                t.record_files.c.file_name,
                t.record_files.c.blob_sha256,
                t.blobs.c.sm3,
                t.blobs.c.size,
            )
            .join(t.blobs, t.blobs.c.sha256 == t.record_files.c.blob_sha256)
            .where(t.record_files.c.record_id.in_(record_ids))
            .order_by(t.record_files.c.record_id, t.record_files.c.position)
        ).all()
    return [
        {
            "record_id": r.record_id,
            "position": r.position,
            "file_name": r.file_name,
            "sha256": r.blob_sha256,
            "sm3": r.sm3,
            "size": int(r.size),
        }
        for r in rows
    ]


def shared_elsewhere(store: Store, shas: list[str], record_ids: list[str]) -> dict[str, set[str]]:
    """Blobs that another record, not disposed of, still uses: sha -> those records."""
    with store.read() as conn:
        users = conn.execute(
            select(t.record_files.c.blob_sha256, t.record_files.c.record_id).where(
                t.record_files.c.blob_sha256.in_(shas),
                t.record_files.c.record_id.not_in(record_ids),
            )
        ).all()
        gone = {
            (r.blob_sha256, r.record_id)
            for r in conn.execute(
                select(t.disposals.c.blob_sha256, t.disposals.c.record_id).where(
                    t.disposals.c.blob_sha256.in_(shas)
                )
            )
        }
    out: dict[str, set[str]] = {}
    for sha, rid in users:
        if (sha, rid) not in gone:
            out.setdefault(sha, set()).add(rid)
    return out


def other_approval_ids(store: Store, case_id: str | None, chain: list[str]) -> list[str]:
    """The ids of the approvals of kind ``other`` of the case ``case_id`` or, for footage no
    case holds (``case_id`` None), of those whose subject is one of the versions ``chain``,
    oldest first."""
    owner = (
        t.approvals.c.case_id == case_id
        if case_id is not None
        else t.approvals.c.case_id.is_(None) & t.approvals.c.subject_record_id.in_(chain)
    )
    with store.read() as conn:
        return [
            r[0]
            for r in conn.execute(
                select(t.approvals.c.id)
                .where(owner, t.approvals.c.kind == "other")
                .order_by(t.approvals.c.created_at)
            )
        ]
