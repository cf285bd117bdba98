"""设备登记: the register of recording devices, a device's history, and the forms to add a
device and to record a pre-use check (per act), maintenance, a fault or a repair."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.errors import LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.av.devices import (
    CHECK_ITEMS,
    DEVICE_KINDS,
    EVENT_KINDS,
    device_state,
    list_devices,
    officer_choices,
    recent_act_choices,
    record_device_event,
    register_device,
)
from liuhen.services.permissions import actions_for
from liuhen.web.auth.permission import check_csrf, get_store, permission
from liuhen.web.forms import (
    Field,
    FormErrors,
    Posted,
    Section,
    known_names,
    local_input,
    posted_form,
    posted_values,
    step_page,
)

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(permission("case.read"))]
Manager = Annotated[User, Depends(permission("device.manage"))]
Checker = Annotated[User, Depends(permission("device.check"))]
Posted_ = Annotated[FormData, Depends(posted_form)]
SAVED = {"device": "设备已登记。", "event": "已记录。"}


@router.get("/devices")
def devices_page(request: Request, user: Reader) -> Response:
    from liuhen.web.pages import render

    actions = actions_for(user.roles)
    return render(
        request,
        "devices.html",
        {
            "devices": list_devices(get_store(request), user.actor),
            "saved": SAVED.get(request.query_params.get("saved", ""), ""),
            "can_manage": "device.manage" in actions,
            "can_check": "device.check" in actions,
            "event_kinds": EVENT_KINDS,
            "check_items": CHECK_ITEMS,
            "active": "devices",
        },
    )


def _officers(request: Request) -> tuple[tuple[str, str], ...]:
    return tuple(officer_choices(get_store(request), request.state.user.actor))


def _device_sections(request: Request) -> list[Section]:
    return [
        (
            "设备",
            [
                Field("kind", "设备类型", "select", True, tuple(DEVICE_KINDS.items())),
                Field("serial_no", "序列号", "text", True),
                Field("model", "型号"),
                Field("officer_id", "配发执法人员", "select", False, _officers(request)),
                Field(
                    "explosion_proof",
                    "防爆设备（可在易燃易爆区域使用，004§6）",
                    "checkbox",
                ),
            ],
        )
    ]


@router.get("/devices/new")
def device_form(request: Request, user: Manager) -> Response:
    return step_page(
        request,
        heading="登记设备",
        action="/devices/new",
        sections=_device_sections(request),
        values={"kind": "body_camera"},
        submit="登记",
    )


@router.post("/devices/new")
def save_device(
    request: Request, user: Manager, posted: Annotated[FormData, Depends(posted_form)]
) -> Response:
    check_csrf(request, str(posted.get("csrf", "")))
    form = Posted(posted, get_store(request).settings.tz)
    sections = _device_sections(request)
    try:
        form.check("设备信息有误", sections)
        register_device(
            get_store(request),
            user.actor,
            kind=form.text("kind"),
            serial_no=form.text("serial_no"),
            model=form.text("model"),
            explosion_proof=form.flag("explosion_proof"),
            officer_id=form.text("officer_id") or None,
        )
    except LiuhenError as exc:
        return step_page(
            request,
            heading="登记设备",
            action="/devices/new",
            sections=sections,
            values=posted_values(form, sections),
            errors=FormErrors.of(exc, known_names(sections)),
            submit="登记",
        )
    return RedirectResponse("/devices?saved=device", status_code=303)


def _recent_acts(request: Request) -> tuple[tuple[str, str], ...]:
    return tuple(recent_act_choices(get_store(request), request.state.user.actor))


def _event_sections(request: Request, kind: str) -> list[Section]:
    fields = [Field("at", "时间", "datetime", True)]
    if kind == "check":
        fields += [
            Field("act_id", "执法环节", "select", True, _recent_acts(request), "近30日的执法环节"),
            Field("items", "已检查", "checkboxes", True, tuple(CHECK_ITEMS.items())),
        ]
    fields.append(Field("note", "情况说明", "multiline", kind != "check"))
    return [(EVENT_KINDS.get(kind, "设备事项"), fields)]


def _event_page(
    request: Request, device: Any, kind: str, values: dict[str, Any], errors: Any = None
) -> Response:
    return step_page(
        request,
        heading=f"设备 {device.serial_no}：{EVENT_KINDS.get(kind, '记录')}",
        action=f"/devices/{device.id}/events/new",
        sections=_event_sections(request, kind),
        values={**values, "kind": kind},
        errors=errors,
        chooser={
            "name": "kind",
            "label": "事项",
            "options": tuple(EVENT_KINDS.items()),
            "value": kind,
            "action": f"/devices/{device.id}/events/new",
        },
        intro="使用前检查设备性能、电量和储存空间（000§12）；维护、故障与修复按规定登记（000§21）。",
        submit="记录",
    )


@router.get("/devices/{device_id}/events/new")
def event_form(request: Request, device_id: str, user: Checker, kind: str = "check") -> Response:
    store = get_store(request)
    device = device_state(store, user.actor, device_id)
    kind = kind if kind in EVENT_KINDS else "check"
    values = {"at": local_input(store.clock(), store.settings.tz), "items": list(CHECK_ITEMS)}
    return _event_page(request, device, kind, values)


@router.post("/devices/{device_id}/events/new")
def save_event(request: Request, device_id: str, user: Checker, posted: Posted_) -> Response:
    check_csrf(request, str(posted.get("csrf", "")))
    store = get_store(request)
    device = device_state(store, user.actor, device_id)
    form = Posted(posted, store.settings.tz)
    kind = form.text("kind") if form.text("kind") in EVENT_KINDS else "check"
    sections = _event_sections(request, kind)
    at = form.moment("at", "时间")
    try:
        form.check("记录有误", sections)
        assert at is not None
        record_device_event(
            store,
            user.actor,
            device_id,
            kind=kind,
            at=at,
            act_id=form.text("act_id") or None,
            items=form.texts("items"),
            note=form.text("note"),
        )
    except LiuhenError as exc:
        values = posted_values(form, sections)
        return _event_page(request, device, kind, values, FormErrors.of(exc, known_names(sections)))
    return RedirectResponse("/devices?saved=event", status_code=303)
