"""The register of recording devices and what happens to them: pre-use checks per act
(000§12), maintenance, faults and repairs (000§21(二)). Events are append-only rows of
``device_events``; a device's state (in order, faulty, last maintained) is read from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from liuhen.domain import vocab
from liuhen.errors import Conflict, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.admin.agency import add_device
from liuhen.services.av.queries.devices import (
    acts_since,
    devices_with_events,
    new_device,
    officers_of,
)
from liuhen.services.permissions import ALL, require, scope_of
from liuhen.store.store import Store
from liuhen.store.unit import new_id

DEVICE_KINDS = vocab.DEVICE_KINDS
EVENT_KINDS: dict[str, str] = {
    "check": "使用前检查",
    "maintenance": "维护保养",
    "fault": "故障",
    "repair": "修复",
}
CHECK_ITEMS = vocab.PRECHECK_ITEMS


@dataclass(frozen=True)
class DeviceState:
    """One device as the register shows it."""

    id: str
    kind: str
    serial_no: str
    model: str
    explosion_proof: bool
    officer_id: str | None
    officer_name: str
    faulty: bool
    last_maintenance: datetime | None
    last_check: datetime | None
    events: tuple[dict[str, Any], ...]

    @property
    def kind_name(self) -> str:
        return DEVICE_KINDS.get(self.kind, self.kind)


def register_device(
    store: Store,
    actor: Actor,
    *,
    kind: str,
    serial_no: str,
    model: str = "",
    explosion_proof: bool = False,
    officer_id: str | None = None,
    agency_id: str | None = None,
) -> str:
    """Add a device to the register (device.manage). The serial number is unique."""
    require(actor, "device.manage")
    serial_no = serial_no.strip()
    if not serial_no:
        raise InvalidInput("serial_no: 请填写设备序列号")
    if len(serial_no) > 100:
        raise InvalidInput("serial_no: 设备序列号不超过 100 个字符")
    if kind not in DEVICE_KINDS:
        raise InvalidInput(f"kind: 请选择设备类型（{'、'.join(DEVICE_KINDS.values())}）")
    found = new_device(store, serial_no, officer_id, agency_id, actor.agency_id)
    if found.serial_taken:
        raise Conflict(f"serial_no: 序列号 {serial_no} 已登记")
    if found.officer_missing:
        raise InvalidInput("officer_id: 所选执法人员不存在")
    if found.agency is None:
        raise InvalidInput("agency_id: 尚未设立执法机关，请先完成初始设置")
    agency = found.agency
    require(actor, "device.manage", _device_scope(agency, officer_id))
    return add_device(
        store,
        actor,
        agency_id=agency,
        kind=kind,
        serial_no=serial_no,
        model=model.strip()[:200],
        explosion_proof=explosion_proof,
        assigned_officer_id=officer_id or None,
    )


def _device_scope(agency_id: str, officer_id: str | None) -> dict[str, Any]:
    """What the scope rule looks at for a device: its agency, and its officer as "own"."""
    return {
        "agency_id": agency_id,
        "section": "",
        "officer_ids": [officer_id] if officer_id else [],
    }


def _check_event_input(
    store: Store, kind: str, at: datetime, act_id: str | None, items: Sequence[str], note: str
) -> None:
    """Refuse, at the first problem, a device event's time, check items, act or note."""
    if at.tzinfo is None:
        raise InvalidInput("at: 时间须带时区")
    if at > store.clock():
        raise InvalidInput("at: 时间不能晚于现在")
    unknown = [i for i in items if i not in CHECK_ITEMS]
    if unknown:
        raise InvalidInput(f"items: 未知的检查项目 {', '.join(unknown)}")
    if kind == "check" and not items:
        raise InvalidInput(f"items: 请勾选已检查的项目（{'、'.join(CHECK_ITEMS.values())}）")
    if kind == "check" and not act_id:
        raise InvalidInput("act_id: 使用前检查须对应一个执法环节")
    if kind in ("fault", "maintenance", "repair") and not note.strip():
        raise InvalidInput("note: 请说明情况（故障现象、维护或修复内容）")


def record_device_event(
    store: Store,
    actor: Actor,
    device_id: str,
    *,
    kind: str,
    at: datetime,
    act_id: str | None = None,
    items: Sequence[str] = (),
    note: str = "",
) -> str:
    """A check (device.check; per act, with the items checked), or maintenance, a fault or a
    repair (device.check for faults, device.manage for maintenance and repair)."""
    if kind not in EVENT_KINDS:
        raise InvalidInput(f"kind: 请选择事项（{'、'.join(EVENT_KINDS.values())}）")
    action = "device.check" if kind in ("check", "fault") else "device.manage"
    require(actor, action)
    _check_event_input(store, kind, at, act_id, items, note)
    event_id = new_id()
    with store.transaction(actor) as tx:
        device = tx.get("devices", device_id)
        if device is None:
            raise NotFound(f"device: 设备 {device_id} 未登记")
        require(  # another agency's device is not this user's to check or maintain
            actor, action, _device_scope(device["agency_id"], device["assigned_officer_id"])
        )
        act = tx.get("acts", act_id) if act_id else None
        if act_id and act is None:
            raise NotFound(f"act_id: 执法环节 {act_id} 不存在")
        details = {"items": sorted(set(items)), "note": note.strip()[:1000]}
        tx.insert(
            "device_events",
            {
                "id": event_id,
                "device_id": device_id,
                "kind": kind,
                "act_id": act_id,
                "at": at,
                "details": details,
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            f"device.{kind}",
            subject_type="device",
            subject_id=device_id,
            case_id=act["case_id"] if act else None,
            payload={"event": event_id, "act_id": act_id, "at": at.isoformat(), **details},
        )
    return event_id


def list_devices(store: Store, actor: Actor) -> list[DeviceState]:
    """The registered devices of the actor's agency (every agency's for a role that reads
    all agencies, and at the server's command line) with their state."""
    require(actor, "case.read")
    every = actor.id is None or scope_of(actor, "case.read") == ALL
    devices, officers, rows = devices_with_events(
        store, only_agency=not every, agency_id=actor.agency_id
    )
    by_device: dict[str, list[Mapping[Any, Any]]] = {}
    for row in rows:
        by_device.setdefault(row["device_id"], []).append(row)
    return [_state(d, by_device.get(d["id"], []), officers) for d in devices]


def device_state(store: Store, actor: Actor, device_id: str) -> DeviceState:
    found = [d for d in list_devices(store, actor) if d.id == device_id]
    if not found:
        raise NotFound(f"device: 设备 {device_id} 未登记")
    return found[0]


def _state(
    device: Mapping[Any, Any], events: list[Mapping[Any, Any]], officers: Mapping[str, str]
) -> DeviceState:
    faulty = False
    last = {"maintenance": None, "check": None}
    for e in events:
        if e["kind"] == "fault":
            faulty = True
        elif e["kind"] in ("repair", "maintenance"):
            faulty = False if e["kind"] == "repair" else faulty
        if e["kind"] in last:
            last[e["kind"]] = e["at"]
    return DeviceState(
        id=device["id"],
        kind=device["kind"],
        serial_no=device["serial_no"] or "",
        model=device["model"] or "",
        explosion_proof=bool(device["explosion_proof"]),
        officer_id=device["assigned_officer_id"],
        officer_name=officers.get(device["assigned_officer_id"] or "", ""),
        faulty=faulty,
        last_maintenance=last["maintenance"],
        last_check=last["check"],
        events=tuple(
            {
                "kind": e["kind"],
                "kind_name": EVENT_KINDS.get(e["kind"], e["kind"]),
                "at": e["at"],
                "act_id": e["act_id"],
                **e["details"],
            }
            for e in reversed(events)
        ),
    )


def bundle_events(rows: Iterable[Mapping[str, Any]], act_ids: set[str]) -> list[dict[str, Any]]:
    """Case-bundle ``devices[].events`` of one device from its event rows (by time):
    maintenance, faults and repairs, and its pre-use checks for the case's acts (checks for
    other cases stay out)."""
    out: list[dict[str, Any]] = []
    for r in rows:
        if r["kind"] == "check" and r["act_id"] not in act_ids:
            continue
        if r["kind"] not in EVENT_KINDS:
            continue
        event: dict[str, Any] = {"kind": r["kind"], "at": r["at"].isoformat()}
        if r["act_id"] and r["act_id"] in act_ids:
            event["act_id"] = r["act_id"]
        if r["details"].get("items"):
            event["items"] = list(r["details"]["items"])
        if r["details"].get("note"):
            event["note"] = r["details"]["note"]
        out.append(event)
    return out


def _agency_filter(actor: Actor) -> str | None:
    """The agency a pick list is limited to: the actor's, unless its role reads all."""
    if actor.id is None or scope_of(actor, "case.read") == ALL:
        return None
    return actor.agency_id


def officer_choices(store: Store, actor: Actor) -> list[tuple[str, str]]:
    """(id, "姓名（证号）") of the officers a device may be issued to: the actor's agency's."""
    rows = officers_of(store, _agency_filter(actor))
    return [(id_, f"{name}（{certificate or '无证号'}）") for id_, name, certificate in rows]


def recent_act_choices(
    store: Store, actor: Actor, *, days: int = 30, limit: int = 200
) -> list[tuple[str, str]]:
    """(id, "案号 · 环节 · 时间 地点") of the acts of the last ``days`` in the actor's agency,
    newest first: what a device's use may be tied to."""
    since = store.clock() - timedelta(days=days)
    rows = acts_since(store, since, _agency_filter(actor), limit)
    tz = store.settings.tz
    return [
        (
            id_,
            f"{number} · {vocab.ACT_KINDS.get(kind, kind)} · "
            f"{started_at.astimezone(tz).strftime('%Y-%m-%d %H:%M')} {place}",
        )
        for id_, kind, started_at, place, number in rows
    ]
