"""Agencies, officers (执法证号) and recording devices."""

from __future__ import annotations

from liuhen.errors import InvalidInput
from liuhen.ledger.events import Actor
from liuhen.services.permissions import require
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

DEVICE_KINDS: dict[str, str] = {
    "body_camera": "执法记录仪",
    "camera": "照相机/摄像机",
    "recorder": "录音机",
    "handheld_terminal": "手持执法终端",
    "surveillance": "视频监控",
}


def create_agency(
    store: Store, actor: Actor, *, name: str, profile_id: str, region: str = ""
) -> str:
    require(actor, "user.manage")
    if not name.strip() or not profile_id.strip():
        raise InvalidInput("机关信息有误", details=["name/profile_id: 机关名称与制度配置不能为空"])
    agency_id = new_id()
    with store.transaction(actor) as tx:
        tx.insert(
            "agencies",
            {
                "id": agency_id,
                "name": name,
                "profile_id": profile_id,
                "region": region,
                "created_at": store.clock(),
            },
        )
        tx.record(
            "agency.created",
            subject_type="agency",
            subject_id=agency_id,
            payload={"profile_id": profile_id},
        )
    return agency_id


def add_officer(
    store: Store, actor: Actor, *, agency_id: str, name: str, certificate_no: str, section: str = ""
) -> str:
    require(actor, "user.manage")
    if not name.strip() or not certificate_no.strip():
        raise InvalidInput(
            "执法人员信息有误", details=["name/certificate_no: 姓名与执法证号不能为空"]
        )
    officer_id = new_id()
    with store.transaction(actor) as tx:
        tx.insert(
            "officers",
            {
                "id": officer_id,
                "agency_id": agency_id,
                "name": name,
                "certificate_no": certificate_no,
                "section": section,
                "details": {},
                "created_at": store.clock(),
            },
        )
        tx.record(
            "officer.added",
            subject_type="officer",
            subject_id=officer_id,
            payload={"certificate_no": certificate_no},
        )
    return officer_id


def add_device(
    store: Store,
    actor: Actor,
    *,
    agency_id: str,
    kind: str,
    serial_no: str,
    model: str = "",
    explosion_proof: bool = False,
    assigned_officer_id: str | None = None,
) -> str:
    require(actor, "device.manage")
    if kind not in DEVICE_KINDS:
        raise InvalidInput(f"kind: 设备类型无效 {kind!r}，可选：{', '.join(DEVICE_KINDS)}")
    with store.transaction(actor) as tx:
        return insert_device(
            tx,
            agency_id=agency_id,
            kind=kind,
            serial_no=serial_no,
            model=model,
            explosion_proof=explosion_proof,
            assigned_officer_id=assigned_officer_id,
        )


def insert_device(
    tx: Tx,
    *,
    agency_id: str,
    kind: str,
    serial_no: str,
    model: str,
    explosion_proof: bool = False,
    assigned_officer_id: str | None = None,
    noted: dict[str, object] | None = None,
) -> str:
    """The device's row and its ``device.registered`` event in ``tx`` (the caller checked
    who may register it); ``noted``: more for the event's payload."""
    device_id = new_id()
    tx.insert(
        "devices",
        {
            "id": device_id,
            "agency_id": agency_id,
            "kind": kind,
            "serial_no": serial_no,
            "model": model,
            "explosion_proof": explosion_proof,
            "assigned_officer_id": assigned_officer_id,
            "created_at": tx.clock(),
        },
    )
    tx.record(
        "device.registered",
        subject_type="device",
        subject_id=device_id,
        payload={"serial_no": serial_no, **(noted or {})},
    )
    return device_id
