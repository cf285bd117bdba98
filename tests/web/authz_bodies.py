"""Ids that arrive in form and JSON bodies (and the docking-station API's query and tus
metadata), for the authorization walk (issue 13, scope without holes): each entry is a
write on agency 甲's own case whose body names an object; the walk sends it once with
agency 乙's object (every role of 甲 that may do the write) and must see it refused with
nothing written and no 乙 case number shown, then once with 甲's own object, which must pass
the same check (written, or refused only for a reason that is not the id)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import Any

from sqlalchemy import select

from liuhen.store import tables as t
from liuhen.store.store import Store

WHEN = "2026-11-20T10:00"
SERIALS = count(1)


@dataclass(frozen=True)
class Body:
    """One write naming an object in its body. ``send(ids)`` gives the request's keyword
    arguments for ``TestClient.request``; ``passed`` is the text the own-object control
    must NOT show (None: the control must write). ``across``: see below."""

    name: str
    method: str
    path: str
    action: str
    send: Callable[[dict[str, str]], dict[str, Any]]
    passed: str | None = None
    across: bool = True
    """The write joins the object to 甲's case or agency (never allowed); False: it makes a
    thing of the object's own agency, which a grant over every agency may."""


def objects(store: Store, world: Any, far: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The ids a body may name, 甲's (own case, own officer, own custodian, own device) and
    乙's in their place."""
    own, other = world.cases["own"], world.cases["other_agency"]
    with store.read() as conn:
        officer = {
            r.certificate_no: r.id
            for r in conn.execute(select(t.officers.c.id, t.officers.c.certificate_no))
        }
        user = {r.username: r.id for r in conn.execute(select(t.users.c.id, t.users.c.username))}
        serial = dict(conn.execute(select(t.devices.c.id, t.devices.c.serial_no)).all())
    mine = {
        "record": own["record"],
        "act": own["act"],
        "officer": officer["R0"],
        "certificate": "R0",
        "custodian": user["u_custodian"],
        "device": serial[own["device"]],
    }
    theirs = {
        "record": other["record"],
        "act": other["act"],
        "officer": officer["Y1"],
        "certificate": "Y1",
        "custodian": user["far_custodian"],
        "device": serial[other["device"]],
    }
    return mine, theirs


def _act(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "data": {
            "kind": "inspection",
            "started_at": WHEN,
            "ended_at": "2026-11-20T10:30",
            "place": "老街2号",
            "officer_ids": [ids["officer"]],
            "certificates_shown": "yes",
        }
    }


def _execution(ids: dict[str, str]) -> dict[str, Any]:
    return {"data": {"kind": "performance", "at": WHEN, "document_ids": [ids["record"]]}}


def _request_form(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "data": {
            "kind": "view",
            "requester.name": "赵某",
            "requester.id_type": "resident_id",
            "requester.id_number": "11010519491231002X",
            "requester.relation": "party",
            "requester.phone": "13800000001",
            "purpose": "查阅",
            "record_ids": [ids["record"]],
        }
    }


def _request_api(ids: dict[str, str]) -> dict[str, Any]:
    form = _request_form(ids)["data"]
    requester = {k.removeprefix("requester."): v for k, v in form.items() if "requester." in k}
    return {
        "json": {
            "kind": "view",
            "requester": requester,
            "record_ids": [ids["record"]],
            "purpose": "查阅",
        }
    }


def _filing(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "data": {"custodian": ids["custodian"], "filed_at": WHEN, "retention_term": "permanent"}
    }


def _override_filing(ids: dict[str, str]) -> dict[str, Any]:
    """The head's filing past the case's open findings (越过提示), naming the custodian."""
    data = _filing(ids)["data"]
    return {"data": {**data, "override_reason": "负责人决定移交"}}


def _device(ids: dict[str, str]) -> dict[str, Any]:
    serial = f"DSJ-BODY-{ids['certificate']}-{next(SERIALS)}"
    return {"data": {"kind": "body_camera", "serial_no": serial, "officer_id": ids["officer"]}}


def _station_file(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "params": {
            "filename": f"IMG_{ids['certificate']}.jpg",
            "case": ids["case"],
            "device": ids["device"],
            "officer": ids["certificate"],
        },
        "content": ids["photo"],
    }


def _tus(ids: dict[str, str]) -> dict[str, Any]:
    from liuhen.services.av.upload_staging import encode_metadata

    meta = {"filename": "DSJ_body.mp4", "device": ids["device"], "officer": ids["certificate"]}
    return {
        "headers": {
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "10",
            "Upload-Metadata": encode_metadata({**meta, "case": ids["case"]}),
        }
    }


BODIES = (
    Body("act officers", "POST", "/cases/{case}/acts/new", "record.create", _act),
    Body("execution documents", "POST", "/cases/{case}/executions/new", "record.create", _execution),
    Body("request records (form)", "POST", "/cases/{case}/access-requests", "access.request", _request_form),
    Body("request records (API)", "POST", "/api/cases/{case}/access-requests", "access.request", _request_api),
    Body("filing custodian", "POST", "/cases/{case}/filing", "case.export", _filing, passed="请选择接收案卷的档案管理员"),
    Body("override filing custodian", "POST", "/cases/{case}/override?gate=file", "gate.override", _override_filing, passed="请选择接收案卷的档案管理员"),
    Body("device officer", "POST", "/devices/new", "device.manage", _device, across=False),
    Body("station file device and officer", "POST", "/api/av/files", "av.upload", _station_file),
    Body("tus upload device and officer", "POST", "/api/uploads", "av.upload", _tus),
)  # fmt: skip


def writes(store: Store) -> int:
    """Ledger events that change something (refusals and readings are not counted)."""
    from liuhen.ledger.events import READ_ACTIONS

    quiet = {*READ_ACTIONS, "access.denied", "record.disposal_refused"}
    with store.read() as conn:
        actions = conn.execute(select(t.ledger_events.c.action)).scalars()
        return sum(1 for a in actions if a not in quiet)
