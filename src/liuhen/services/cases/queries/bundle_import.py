"""What a bundle import reads (``services/cases/bundle_import``): whether its case is already
held, and the agency, officers, devices and device events already in the store that the
bundle's own are matched to (those run inside the import's transaction, on ``tx.conn``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from liuhen.store import tables as t
from liuhen.store.store import Store


def case_id_by_number(store: Store, number: str) -> str | None:
    """The id of the stored case numbered ``number``, or None."""
    with store.read() as conn:
        found = conn.execute(select(t.cases.c.id).where(t.cases.c.number == number)).scalar()
    return str(found) if found is not None else None


def agency_id_by_name(conn: Connection, name: str) -> str | None:
    """The id of the agency named ``name``, or None."""
    found = conn.execute(select(t.agencies.c.id).where(t.agencies.c.name == name)).scalar()
    return str(found) if found is not None else None


def officer_id_by_certificate(conn: Connection, certificate_no: str) -> str | None:
    """The id of the officer holding certificate ``certificate_no``, or None."""
    found = conn.execute(
        select(t.officers.c.id).where(t.officers.c.certificate_no == certificate_no)
    ).scalar()
    return str(found) if found is not None else None


def device_id_by_serial(conn: Connection, serial_no: str) -> str | None:
    """The id of the device with serial number ``serial_no``, or None."""
    found = conn.execute(select(t.devices.c.id).where(t.devices.c.serial_no == serial_no)).scalar()
    return str(found) if found is not None else None


def device_event_held(
    conn: Connection, *, device_id: str, kind: str, at: datetime | None, act_id: str | None
) -> bool:
    """Whether the device already has an event of ``kind`` at ``at`` for ``act_id`` (or none)."""
    events = t.device_events
    same_act = events.c.act_id == act_id if act_id else events.c.act_id.is_(None)
    held = conn.execute(
        select(events.c.id).where(
            events.c.device_id == device_id,
            events.c.kind == kind,
            events.c.at == at,
            same_act,
        )
    ).first()
    return held is not None
