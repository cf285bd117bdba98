"""Devices and officers as the AV services look them up: the register with its events, pick
lists, and registered ids by serial or certificate number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, literal, select, union_all

from liuhen.store import tables as t
from liuhen.store.store import Store


def registered_device_id(conn: Connection, ref: str) -> str | None:
    """The id of the registered device whose id or serial number is ``ref``."""
    found = conn.execute(
        select(t.devices.c.id).where((t.devices.c.id == ref) | (t.devices.c.serial_no == ref))
    ).scalar()
    return None if found is None else str(found)


def registered_officer_id(conn: Connection, ref: str) -> str | None:
    """The id of the officer whose id or certificate number is ``ref``."""
    found = conn.execute(
        select(t.officers.c.id).where(
            (t.officers.c.id == ref) | (t.officers.c.certificate_no == ref)
        )
    ).scalar()
    return None if found is None else str(found)


def device_by_serial(conn: Connection, serial_no: str) -> dict[str, Any] | None:
    """The registered device with this serial number, if any."""
    row = conn.execute(select(t.devices).where(t.devices.c.serial_no == serial_no)).mappings()
    found = row.first()
    return None if found is None else dict(found)


def device_serial(store: Store, device_id: str) -> str | None:
    """The serial number of a registered device."""
    with store.read() as conn:
        serial = conn.execute(
            select(t.devices.c.serial_no).where(t.devices.c.id == device_id)
        ).scalar()
    return None if serial is None else str(serial)


@dataclass(frozen=True)
class NewDevice:
    """What registering a device depends on. ``agency``: the agency named, else the
    officer's, else the registering user's, else the first (None: there is none)."""

    serial_taken: bool
    officer_missing: bool = False
    agency: str | None = None


def new_device(
    store: Store,
    serial_no: str,
    officer_id: str | None,
    agency_id: str | None,
    actor_agency: str | None,
) -> NewDevice:
    """Whether the serial is taken and the officer exists, and the device's agency (reading
    stops at the first thing that fails)."""
    with store.read() as conn:
        taken = conn.execute(select(t.devices.c.id).where(t.devices.c.serial_no == serial_no))
        if taken.first() is not None:
            return NewDevice(serial_taken=True)
        if (
            officer_id
            and conn.execute(select(t.officers.c.id).where(t.officers.c.id == officer_id)).first()
            is None
        ):
            return NewDevice(serial_taken=False, officer_missing=True)
        agency = agency_id or _agency_of(conn, officer_id, actor_agency)
    return NewDevice(serial_taken=False, agency=agency)


def _agency_of(conn: Connection, officer_id: str | None, actor_agency: str | None) -> str | None:
    """The agency of the device's officer, else the registering user's, else the first."""
    if officer_id:
        found = conn.execute(select(t.officers.c.agency_id).where(t.officers.c.id == officer_id))
        value = found.scalar()
        if value:
            return str(value)
    if actor_agency:
        return actor_agency
    first = conn.execute(select(t.agencies.c.id).order_by(t.agencies.c.created_at)).scalar()
    return None if first is None else str(first)


def devices_with_events(
    store: Store, *, only_agency: bool, agency_id: str | None
) -> tuple[list[dict[str, Any]], dict[str, str], list[dict[str, Any]]]:
    """(devices by serial number — of ``agency_id`` when ``only_agency`` —, officer names by
    id, every device event by time)."""
    query = select(t.devices).order_by(t.devices.c.serial_no)
    if only_agency:
        query = query.where(t.devices.c.agency_id == agency_id)
    with store.read() as conn:
        devices = [dict(r) for r in conn.execute(query).mappings()]
        officers = dict(conn.execute(select(t.officers.c.id, t.officers.c.name)).all())
        rows = [
            dict(r)
            for r in conn.execute(
                select(t.device_events).order_by(t.device_events.c.at, t.device_events.c.id)
            ).mappings()
        ]
    return devices, officers, rows


def officers_of(store: Store, agency_id: str | None) -> list[tuple[str, str, str | None]]:
    """(id, name, certificate number) of the officers of ``agency_id`` (every agency's when
    None), by name."""
    query = select(t.officers.c.id, t.officers.c.name, t.officers.c.certificate_no)
    if agency_id is not None:
        query = query.where(t.officers.c.agency_id == agency_id)
    with store.read() as conn:
        rows = conn.execute(query.order_by(t.officers.c.name)).all()
    return [(r.id, r.name, r.certificate_no) for r in rows]


def acts_since(
    store: Store, since: datetime, agency_id: str | None, limit: int
) -> list[tuple[str, str, datetime, str, str]]:
    """(id, kind, start, place, case number) of the acts started since ``since`` in the cases
    of ``agency_id`` (every agency's when None), newest first, at most ``limit``."""
    query = (
        select(t.acts.c.id, t.acts.c.kind, t.acts.c.started_at, t.acts.c.place, t.cases.c.number)
        .join(t.cases, t.cases.c.id == t.acts.c.case_id)
        .where(t.acts.c.started_at >= since)
    )
    if agency_id is not None:
        query = query.where(t.cases.c.agency_id == agency_id)
    with store.read() as conn:
        rows = conn.execute(query.order_by(t.acts.c.started_at.desc()).limit(limit)).all()
    return [(r.id, r.kind, r.started_at, r.place, r.number) for r in rows]


def foreign_parties(
    store: Store, agency_id: str, device: str | None, officer: str | None
) -> list[str]:
    """Which of a registered ``device`` (id or serial) and ``officer`` (id or certificate
    number) belong to an agency other than ``agency_id`` ("device", "officer"); unregistered
    ones are not named (footage may come from a camera not yet registered). One statement."""
    parts = []
    if device:
        parts.append(
            select(literal("device"), t.devices.c.agency_id).where(
                (t.devices.c.id == device) | (t.devices.c.serial_no == device)
            )
        )
    if officer:
        parts.append(
            select(literal("officer"), t.officers.c.agency_id).where(
                (t.officers.c.id == officer) | (t.officers.c.certificate_no == officer)
            )
        )
    if not parts:
        return []
    with store.read() as conn:
        rows = conn.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all()
    return sorted({str(kind) for kind, agency in rows if agency and agency != agency_id})
