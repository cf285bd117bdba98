"""Reading what footage redaction needs: a record's video files, the faces found in them
for a copy request, and the redacted videos made from confirmed marks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, literal, select, union_all

from liuhen.store import tables as t


def video_files(conn: Connection, record_id: str) -> list[dict[str, Any]]:
    """The record's files that carry pictures (video), in order (one query)."""
    rows = conn.execute(
        select(t.record_files)
        .where(t.record_files.c.record_id == record_id)
        .order_by(t.record_files.c.position)
    ).mappings()
    return [dict(r) for r in rows if _is_video(r)]


def with_video(conn: Connection, record_ids: list[str]) -> set[str]:
    """Which of the records have a video file (one query): a sound recording has no
    picture to cover."""
    rows = conn.execute(
        select(
            t.record_files.c.record_id, t.record_files.c.media_type, t.record_files.c.details
        ).where(t.record_files.c.record_id.in_(record_ids))
    ).mappings()
    return {r["record_id"] for r in rows if _is_video(r)}


def _is_video(row: Any) -> bool:
    kind = (row["details"] or {}).get("media_kind") or row["media_type"].split("/")[0]
    return bool(kind == "video")


def detections(
    conn: Connection, request_id: str, record_ids: Sequence[str]
) -> dict[str, dict[int, dict[str, Any]]]:
    """Record id -> file position -> what the detector found, for a request giving
    ``record_ids`` (one query): each file's scan (``face_scans``, once per file whatever
    the request), or what was found for this request before scans were kept per file
    (``footage_detections``), which wins: its proposals are what the approver was shown."""
    keep = ("record_id", "position", "blob_sha256", "proposals", "details", "created_at")
    scans = select(*(t.face_scans.c[k] for k in keep), literal(0).label("legacy")).where(
        t.face_scans.c.record_id.in_(list(record_ids))
    )
    older = select(*(t.footage_detections.c[k] for k in keep), literal(1).label("legacy")).where(
        t.footage_detections.c.request_id == request_id
    )
    rows = conn.execute(union_all(scans, older)).mappings()
    found: dict[str, dict[int, dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: r["legacy"]):
        found.setdefault(r["record_id"], {})[r["position"]] = dict(r)
    return found


def scans_of(conn: Connection, record_id: str) -> dict[int, dict[str, Any]]:
    """File position -> the face scan of that file of the record (one query)."""
    rows = conn.execute(
        select(t.face_scans).where(t.face_scans.c.record_id == record_id)
    ).mappings()
    return {r["position"]: dict(r) for r in rows}


def scans_by_blob(conn: Connection, sha256s: Sequence[str]) -> dict[str, dict[str, Any]]:
    """SHA-256 -> a face scan of those same bytes (in any record; one query)."""
    rows = conn.execute(
        select(t.face_scans).where(t.face_scans.c.blob_sha256.in_(list(sha256s)))
    ).mappings()
    return {r["blob_sha256"]: dict(r) for r in rows}


def redacted_of(conn: Connection, request_id: str) -> dict[str, dict[str, Any]]:
    """Redaction version id -> the redacted video made from it, for a request (one query)."""
    rows = conn.execute(
        select(t.redacted_footage).where(t.redacted_footage.c.request_id == request_id)
    ).mappings()
    return {r["redaction_id"]: dict(r) for r in rows}


def derived_files(conn: Connection, derived_id: str) -> list[dict[str, Any]]:
    """The files of a redacted video with their blobs' SM3 and size (one query)."""
    rows = conn.execute(
        select(t.record_files, t.blobs.c.sm3, t.blobs.c.size)
        .join(t.blobs, t.blobs.c.sha256 == t.record_files.c.blob_sha256)
        .where(t.record_files.c.record_id == derived_id)
        .order_by(t.record_files.c.position)
    ).mappings()
    return [dict(r) for r in rows]
