"""Reading for the AV pages and the docking-station API: what the upload form offers, and
whether (and in which record) a file is already held."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from liuhen.errors import PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.permissions import ALL, require, require_case, require_record, scope_of
from liuhen.store import tables as t
from liuhen.store.store import Store


@dataclass(frozen=True)
class UploadForm:
    """What the upload page offers: the case named in the query (if the user may upload to
    it) with its acts, the agency's devices, and the user's own certificate number."""

    case: dict[str, Any] | None
    acts: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    officer_certificate: str = ""


def upload_form(
    store: Store, actor: Actor, case_id: str | None, officer_id: str | None
) -> UploadForm:
    """The upload page's facts. A case named in the query string is checked like one in the
    path: ``av.upload`` on that case, or PermissionDenied / NotFound."""
    require(actor, "av.upload")
    case = require_case(store, actor, "av.upload", case_id) if case_id else None
    devices = select(t.devices).order_by(t.devices.c.serial_no)
    if actor.id is not None and scope_of(actor, "case.read") != ALL:
        devices = devices.where(t.devices.c.agency_id == actor.agency_id)
    with store.read() as conn:
        acts = (
            [
                dict(r)
                for r in conn.execute(
                    select(t.acts).where(t.acts.c.case_id == case_id).order_by(t.acts.c.started_at)
                ).mappings()
            ]
            if case
            else []
        )
        device_rows = [dict(r) for r in conn.execute(devices).mappings()]
        certificate = (
            conn.execute(
                select(t.officers.c.certificate_no).where(t.officers.c.id == officer_id)
            ).scalar()
            if officer_id
            else None
        )
    return UploadForm(case or None, acts, device_rows, certificate or "")


def file_holder(store: Store, actor: Actor, sha256: str) -> tuple[bool, str | None]:
    """(held, record id): whether a segment with these bytes is stored, and the newest
    record holding it when the actor may read every case that holds it (that the bytes are
    held is no secret to their holder; which record holds them may be)."""
    with store.read() as conn:
        holders = conn.execute(
            select(t.record_files.c.record_id, t.records.c.case_id)
            .join(t.records, t.records.c.id == t.record_files.c.record_id)
            .where(t.record_files.c.blob_sha256 == sha256, t.record_files.c.role == "segment")
            .order_by(t.records.c.created_at.desc(), t.records.c.version.desc())
        ).all()
    owner = holders[0][0] if holders else None
    record_id = owner
    try:
        for case_id in {case for _, case in holders if case is not None}:
            require_case(store, actor, "case.read", case_id)
        for footage in {record for record, case in holders if case is None}:
            require_record(store, actor, "case.read", footage)  # scoped by its agency
    except PermissionDenied:
        record_id = None
    return owner is not None, record_id
