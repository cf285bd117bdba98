"""The device register is per agency: a custodian sees, registers, checks and maintains
the devices of their own agency only; a device registered without an officer belongs to
the registering user's agency (not to whichever agency was set up first)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.factories import make_user
from tests.helpers import SYSTEM

from liuhen.errors import NotFound, PermissionDenied
from liuhen.services.admin.agency import create_agency
from liuhen.services.av.devices import (
    device_state,
    list_devices,
    record_device_event,
    register_device,
)

PASSWORD = "Keeper-pass-2026"


def test_each_agency_keeps_its_own_device_register(store, clock):
    first = create_agency(store, SYSTEM, name="甲镇人民政府", profile_id="shanxi-township")
    second = create_agency(store, SYSTEM, name="乙镇人民政府", profile_id="shanxi-township")
    keepers = {
        agency: make_user(
            store,
            f"keeper-{n}",
            "custodian",
            agency_id=agency,
            display_name=f"管理员{n}",
            password=PASSWORD,
        )  # fmt: skip
        for n, agency in enumerate((first, second))
    }
    a, b = keepers[first].actor, keepers[second].actor
    mine = register_device(store, b, kind="body_camera", serial_no="DSJ-B-0001")
    theirs = register_device(store, a, kind="body_camera", serial_no="DSJ-A-0001")
    assert [d.serial_no for d in list_devices(store, b)] == ["DSJ-B-0001"]
    assert [d.serial_no for d in list_devices(store, a)] == ["DSJ-A-0001"]
    assert {d.serial_no for d in list_devices(store, SYSTEM)} == {"DSJ-A-0001", "DSJ-B-0001"}
    with pytest.raises(NotFound):
        device_state(store, b, theirs)
    at = clock() - timedelta(hours=1)
    with pytest.raises(PermissionDenied, match="本机关"):
        record_device_event(store, b, theirs, kind="maintenance", at=at, note="更换电池")
    with pytest.raises(PermissionDenied):
        register_device(store, b, kind="body_camera", serial_no="DSJ-A-0002", agency_id=first)
    record_device_event(store, b, mine, kind="maintenance", at=at, note="更换电池")
    assert device_state(store, b, mine).last_maintenance is not None
