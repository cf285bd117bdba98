"""The reads of case and document numbering (``services/cases/numbering.py``): the 字号 in
force, the counters, the numbers issued in a year and the explained gaps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from liuhen.store import tables as t


def styles(conn: Connection, agency_id: str) -> dict[str, dict[str, Any]]:
    """kind -> its newest 字号 row (word, di, manual, version) for the agency."""
    s = t.number_styles.c
    newest = (
        select(s.kind, func.max(s.version).label("version"))
        .where(s.agency_id == agency_id)
        .group_by(s.kind)
        .subquery()
    )
    rows = conn.execute(
        select(s.kind, s.word, s.di, s.manual, s.version)
        .join(newest, (s.kind == newest.c.kind) & (s.version == newest.c.version))
        .where(s.agency_id == agency_id)
    ).mappings()
    return {r["kind"]: dict(r) for r in rows}


_STYLE = (
    select(
        t.agencies.c.name,
        t.number_styles.c.word,
        t.number_styles.c.di,
        t.number_styles.c.manual,
        t.number_styles.c.version,
    )
    .select_from(
        t.agencies.outerjoin(
            t.number_styles,
            (t.number_styles.c.agency_id == t.agencies.c.id)
            & (t.number_styles.c.kind == bindparam("kind")),
        )
    )
    .where(t.agencies.c.id == bindparam("agency_id"))
    .order_by(t.number_styles.c.version.desc())
    .limit(1)
)


def style_row(conn: Connection, agency_id: str, kind: str) -> dict[str, Any] | None:
    """The agency's name and its newest 字号 of ``kind`` (word None: none set), one read
    (the statement built once: every numbered document saved and every case imported asks)."""
    found = conn.execute(_STYLE, {"agency_id": agency_id, "kind": kind}).mappings().first()
    return None if found is None else dict(found)


def counters(conn: Connection, agency_id: str, year: int) -> dict[str, int]:
    """kind -> the last serial issued in ``year``."""
    c = t.number_counters.c
    rows = conn.execute(
        select(c.kind, c.last).where(c.agency_id == agency_id, c.year == year)
    ).all()
    return {kind: int(last) for kind, last in rows}


def serial_taken(conn: Connection, agency_id: str, kind: str, year: int, serial: int) -> bool:
    return issued_serial(conn, agency_id, kind, year, serial) is not None


def issued_serial(
    conn: Connection, agency_id: str, kind: str, year: int, serial: int
) -> dict[str, Any] | None:
    """The number issued with this serial (its text and what it was issued to), if any."""
    i = t.issued_numbers.c
    found = select(i.number, i.subject_type, i.subject_id).where(
        i.agency_id == agency_id, i.kind == kind, i.year == year, i.serial == serial
    )
    row = conn.execute(found).mappings().first()
    return None if row is None else dict(row)


def issued(conn: Connection, agency_id: str, year: int) -> list[dict[str, Any]]:
    """The numbers issued in ``year`` (kind, serial, number, subject, manual, and the case
    of a document's record), in order."""
    i, r = t.issued_numbers.c, t.records.c
    joined = t.issued_numbers.outerjoin(
        t.records, (i.subject_type == "record") & (r.id == i.subject_id)
    )
    rows = conn.execute(
        select(i.kind, i.serial, i.number, i.subject_type, i.subject_id, i.manual, r.case_id)
        .select_from(joined)
        .where(i.agency_id == agency_id, i.year == year)
        .order_by(i.kind, i.serial)
    ).mappings()
    return [dict(r) for r in rows]


def voids(conn: Connection, agency_id: str, year: int) -> dict[tuple[str, int], str]:
    """(kind, serial) -> the reason it was withdrawn or skipped."""
    v = t.number_voids.c
    rows = conn.execute(
        select(v.kind, v.serial, v.reason).where(v.agency_id == agency_id, v.year == year)
    ).all()
    return {(kind, int(serial)): reason for kind, serial, reason in rows}


def agency_name(conn: Connection, agency_id: str) -> str:
    a = t.agencies.c
    return str(conn.execute(select(a.name).where(a.id == agency_id)).scalar() or "")
