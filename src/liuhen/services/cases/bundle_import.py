"""Case bundles into the store: every entity checked (its JSON path named in a refusal), bundle
ids replaced by database ids (references such as ``act_id`` and ``officer_ids`` follow),
every row written through one unit of work with its ledger event. ``check_entity`` is the
same check for entities made in LiuHen that a bundle must be able to hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liuhen.domain.acts import act_problems
from liuhen.domain.limits import ACT_LIMITS, CASE_LIMITS, PARTY_LIMITS, text_problems
from liuhen.errors import Conflict, InvalidInput
from liuhen.ledger.events import Actor
from liuhen.rules import load_bundle
from liuhen.rules.sources.bundle import entity_problems, shape_problems
from liuhen.rules.sources.bundle_codec import FORMAT as FORMAT_NAME
from liuhen.rules.sources.bundle_codec import VERSION
from liuhen.rules.sources.bundle_migrate import upgrade
from liuhen.services.cases import numbering
from liuhen.services.cases.queries.bundle_import import (
    agency_id_by_name,
    case_id_by_number,
    device_event_held,
    device_id_by_serial,
    officer_id_by_certificate,
)
from liuhen.services.permissions import require
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

FORMAT = {"format": FORMAT_NAME, "version": VERSION}
CASE_EXTRAS = ("co_parties", "trips")
"""Top-level bundle lists kept in the case row's ``details`` (and put back on export)."""
REF_KEYS = frozenset({
    "act_id", "av_record_id", "av_record_ids", "catalogue", "device_id", "document_ids",
    "officer_id", "officer_ids", "record_id", "record_ids", "service_id",
})  # fmt: skip
CASE_COLUMNS = ("id", "number", "title", "procedure", "opened_at", "ended_at")
ATTEMPTS = 3  # writes of one bundle before a conflict stands (``import_bundle``)


@dataclass(frozen=True)
class ImportResult:
    case_id: str
    number: str
    created: bool


def check_entity(kind: str, entity: Mapping[str, Any], path: str) -> None:
    """Refuse an entity made in LiuHen that its case bundle could not hold (JSON path named).

    ``kind`` is a definition of the bundle schema (``service``, ``text_record`` …); ``path``
    is where it sits in the bundle, e.g. ``$.services``."""
    problems = entity_problems(kind, entity, path)
    if problems:
        raise InvalidInput("记录内容不符合案件数据格式", details=problems)


def remap(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` with every id under a reference key replaced through ``ids``."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in REF_KEYS:
                out[key] = (
                    [ids.get(v, v) for v in item] if isinstance(item, list) else ids.get(item, item)
                )
            else:
                out[key] = remap(item, ids)
        return out
    if isinstance(value, list):
        return [remap(v, ids) for v in value]
    return value


def _without(entity: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in entity.items() if k not in keys}


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _text_problems(data: Mapping[str, Any]) -> list[str]:
    """The length and character checks of the case, its party and its acts' places, as
    ``open_case`` and ``record_act`` make them, named by JSON path."""
    case = data["case"]
    problems = shape_problems(data, text=True)  # NUL, lone surrogates: stored alike nowhere
    problems += text_problems(case, CASE_LIMITS, "$.case.")
    problems += text_problems(data["agency"], {"unit": CASE_LIMITS["section"]}, "$.agency.")
    problems += text_problems(data["party"], PARTY_LIMITS, "$.party.")
    for i, act in enumerate(data.get("acts", [])):
        problems += text_problems(act, ACT_LIMITS, f"$.acts[{i}].")
    unique: dict[str, str] = {}
    for problem in problems:  # one line a field: the first problem found in it
        unique.setdefault(problem.split(": ")[0], problem)
    return list(unique.values())


# -- import ---------------------------------------------------------------------------------


def import_bundle(store: Store, actor: Actor, data: Mapping[str, Any]) -> ImportResult:
    """Validate the whole bundle, then store it in one transaction (all of it or nothing).
    A case already stored is not imported again (``created=False``), also when another
    import of it commits while this one writes: the loser ends like a later import
    ("已存在，未重复导入"), not with the officer or case row the two met at (issue 14)."""
    require(actor, "case.import")
    load_bundle(dict(data))  # raises BundleInvalid naming each JSON path; nothing is written
    data = upgrade(data)  # a version-1 bundle is stored as version 2 (``bundle_migrate``)
    if not data["agency"].get("profile"):
        raise InvalidInput("$.agency.profile: 导入的案件包须指明机关适用的制度配置")
    case = data["case"]
    problems = [
        f"$.acts[{i}].{problem}"
        for i, act in enumerate(data.get("acts", []))
        for problem in act_problems(
            case["procedure"], act["kind"], _when(act["started_at"]), _when(act.get("ended_at"))
        )
    ]
    problems += _text_problems(data)
    if problems:  # the checks ``open_case`` and ``record_act`` make in LiuHen
        raise InvalidInput("案件数据包中的案件或执法环节有误", details=problems)
    number = case.get("number", case["id"])
    for attempt in range(1, ATTEMPTS + 1):
        existing = case_id_by_number(store, number)
        if existing:
            return ImportResult(existing, number, created=False)
        try:
            with store.transaction(actor) as tx:
                case_id = _write_case(tx, store, actor, data)
                payload = {"number": number, "bundle_case_id": case["id"]}
                tx.record("case.imported", subject_type="case", subject_id=case_id,
                          case_id=case_id, payload=payload)  # fmt: skip
            return ImportResult(case_id, number, created=True)
        except Conflict:
            # an import of the same case (or of a bundle naming the same officers or
            # devices) committed first: look again, as a later import would
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _write_case(tx: Tx, store: Store, actor: Actor, data: Mapping[str, Any]) -> str:
    """Every entity of the checked bundle ``data`` as rows in the caller's unit of work,
    bundle ids replaced by new ids; returns the new case's id.

    Long: one unit of work writes every entity of the bundle in dependency order (agency,
    officers and devices, the case and its transitions, acts, device events, records,
    approvals, services, execution, the case file) through one ``ids`` map from bundle ids to
    new ids that every later row's references go through; each block is a flat row mapping
    that reads best beside the others in insertion order."""
    now = store.clock()
    by = actor.id or "system"
    ids: dict[str, str] = {}
    agency_id = _agency(tx, data["agency"], now)
    for officer in data.get("officers", []):
        ids[officer["id"]] = _officer(tx, agency_id, officer, now)
    for device in data.get("devices", []):
        ids[device["id"]] = _device(tx, agency_id, device, now)
    collections = ("acts", "text_records", "av_records", "approvals", "services", "execution")
    for name in collections:
        for item in data.get(name, []):
            ids[item["id"]] = new_id()
    case = data["case"]
    case_id = new_id()
    tx.insert(
        "cases",
        {
            "id": case_id,
            "agency_id": agency_id,
            "number": case.get("number", case["id"]),
            "title": case.get("title", case.get("cause", case["id"])),
            "procedure": case["procedure"],
            "party": remap(data["party"], ids),
            "confidentiality": [],
            "section": data["agency"].get("unit", ""),
            "details": {
                **remap(_without(case, *CASE_COLUMNS), ids),
                **{k: remap(data[k], ids) for k in CASE_EXTRAS if data.get(k)},
                "bundle_id": case["id"],
                "access_requests": remap(data.get("access_requests", []), ids),
            },
            "opened_at": _when(case["opened_at"]),
            "created_by": by,
            "created_at": now,
        },
    )
    _transition(tx, case_id, "initiation", _when(case["opened_at"]), by)
    numbering.note_bundle(tx, agency_id, case_id, data, store.settings.tz)  # type: ignore[arg-type]
    if case.get("ended_at"):
        _transition(tx, case_id, "closed", _when(case["ended_at"]), by)
    for act in data.get("acts", []):
        tx.insert(
            "acts",
            {
                "id": ids[act["id"]],
                "case_id": case_id,
                "supersedes_id": None,
                "kind": act["kind"],
                "started_at": _when(act["started_at"]),
                "ended_at": _when(act.get("ended_at")),
                "place": act.get("place", ""),
                "officer_ids": [ids.get(o, o) for o in act.get("officer_ids", [])],
                "details": remap(
                    _without(act, "id", "kind", "started_at", "ended_at", "place", "officer_ids"),
                    ids,
                ),
                "created_by": by,
                "created_at": now,
            },
        )
    _device_events_in(tx, data, ids, by, now)
    for kind, items in (("text", data.get("text_records", [])), ("av", data.get("av_records", []))):
        for record in items:
            tx.insert(
                "records",
                {
                    "id": ids[record["id"]],
                    "case_id": case_id,
                    "act_id": ids.get(record["act_id"]) if record.get("act_id") else None,
                    "supersedes_id": None,
                    "version": 1,
                    "kind": kind,
                    "doc_kind": record.get("kind", "av") if kind == "text" else "av",
                    "title": record.get("title", ""),
                    "details": remap(_without(record, "id"), ids),
                    "correction_reason": "",
                    "created_by": by,
                    "created_at": now,
                },
            )
    for approval in data.get("approvals", []):
        tx.insert(
            "approvals",
            {
                "id": ids[approval["id"]],
                "case_id": case_id,
                "kind": approval["kind"],
                "subject_record_id": None,
                "emergency": bool(approval.get("emergency", False)),
                "details": remap(_without(approval, "id", "kind", "emergency"), ids),
                "created_by": by,
                "created_at": now,
            },
        )
    for service in data.get("services", []):
        tx.insert(
            "services",
            {
                "id": ids[service["id"]],
                "case_id": case_id,
                "record_id": None,
                "mode": service["mode"],
                "served_at": _when(service.get("served_at")) or _when(case["opened_at"]),
                "recipient": service.get("recipient", ""),
                "evidence": remap(_without(service, "id", "mode"), ids),
                "created_by": by,
                "created_at": now,
            },
        )
    for event in data.get("execution", []):
        tx.insert(
            "executions",
            {
                "id": ids[event["id"]],
                "case_id": case_id,
                "kind": event["kind"],
                "at": _when(event["at"]),
                "details": remap(_without(event, "id", "kind", "at"), ids),
                "created_by": by,
                "created_at": now,
            },
        )
    if data.get("case_file"):
        file = data["case_file"]
        tx.insert(
            "case_files",
            {
                "id": new_id(),
                "case_id": case_id,
                "supersedes_id": None,
                "formed_at": _when(file.get("formed_at")),
                "details": remap(_without(file, "formed_at"), ids),
                "created_by": by,
                "created_at": now,
            },
        )
    return case_id


def _transition(tx: Tx, case_id: str, stage: str, at: datetime | None, by: str) -> None:
    tx.insert(
        "case_transitions",
        {
            "id": new_id(),
            "case_id": case_id,
            "stage": stage,
            "note": "",
            "at": at,
            "created_by": by,
        },
    )


def _agency(tx: Tx, agency: Mapping[str, Any], now: datetime) -> str:
    found = agency_id_by_name(tx.conn, agency["name"])
    if found:
        return found
    agency_id = new_id()
    tx.insert(
        "agencies",
        {
            "id": agency_id,
            "name": agency["name"],
            "profile_id": agency.get("profile") or "",
            "region": "",
            "created_at": now,
        },
    )
    return agency_id


def _officer(tx: Tx, agency_id: str, officer: Mapping[str, Any], now: datetime) -> str:
    cert = officer.get("certificate_number")
    if cert:
        found = officer_id_by_certificate(tx.conn, cert)
        if found:
            return found
    officer_id = new_id()
    tx.insert(
        "officers",
        {
            "id": officer_id,
            "agency_id": agency_id,
            "name": officer["name"],
            "certificate_no": cert,
            "section": "",
            "details": _without(officer, "id", "name", "certificate_number"),
            "created_at": now,
        },
    )
    return officer_id


def _device(tx: Tx, agency_id: str, device: Mapping[str, Any], now: datetime) -> str:
    serial = device.get("serial")
    if serial:
        found = device_id_by_serial(tx.conn, serial)
        if found:
            return found
    device_id = new_id()
    tx.insert(
        "devices",
        {
            "id": device_id,
            "agency_id": agency_id,
            "kind": device["kind"],
            "serial_no": serial,
            "model": "",
            "explosion_proof": bool(device.get("explosion_proof", False)),
            "assigned_officer_id": None,
            "created_at": now,
        },
    )
    return device_id


def _device_events_in(
    tx: Tx, data: Mapping[str, Any], ids: Mapping[str, str], by: str, now: datetime
) -> None:
    """A bundle's ``devices[].events`` as device_events rows (one already held is skipped)."""
    for device in data.get("devices", []):
        device_id = ids[device["id"]]
        for e in device.get("events", []):
            at = _when(e["at"])
            act_id = ids.get(e["act_id"]) if e.get("act_id") else None
            if device_event_held(
                tx.conn, device_id=device_id, kind=e["kind"], at=at, act_id=act_id
            ):
                continue
            tx.insert(
                "device_events",
                {
                    "id": new_id(),
                    "device_id": device_id,
                    "kind": e["kind"],
                    "act_id": act_id,
                    "at": at,
                    "details": {"items": list(e.get("items", [])), "note": e.get("note", "")},
                    "created_by": by,
                    "created_at": now,
                },
            )
