"""Reading what footage redaction needs: a record's video files, the faces found in them
for a copy request, and the redacted videos made from confirmed marks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

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


def detections(conn: Connection, request_id: str) -> dict[str, dict[int, dict[str, Any]]]:
    """Record id -> file position -> what the detector found, for a request (one query)."""
    rows = conn.execute(
        select(t.footage_detections).where(t.footage_detections.c.request_id == request_id)
    ).mappings()
    found: dict[str, dict[int, dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r["record_id"], {})[r["position"]] = dict(r)
    return found


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
