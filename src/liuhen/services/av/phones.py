"""Footage an officer records on a phone and uploads from the case page (issue 16): the
phone is the recording device, so the footage is linked to that case whatever device
register it is in. A phone nobody registered is registered then, in the linking
transaction, as the officer's 手持执法终端 (serial ``手机-<执法证号>``, assigned to the officer,
``device.registered`` on the ledger with the record it came with), so the case bundle names
a device for every recording and the admin sees it on the 设备 page. docs/upload.md says so.
"""

from __future__ import annotations

from liuhen.services.admin.agency import insert_device
from liuhen.services.av.queries.devices import registered_device_id
from liuhen.store.unit import Tx

PHONE_KIND = "handheld_terminal"
PHONE_MODEL = "执法人员手机（上传音像时登记）"


def phone_serial(certificate_no: str) -> str:
    return f"手机-{certificate_no}"


def officers_phone(tx: Tx, officer_id: str, agency_id: str, record_id: str) -> str | None:
    """The id of the phone of officer ``officer_id`` (registered now when it is not yet),
    or None when no such officer is registered. The officer's row is locked first: two of
    their uploads linked at once register one phone (the second finds the first's)."""
    tx.lock("officers", officer_id)
    officer = tx.get("officers", officer_id)
    if officer is None:
        return None
    serial = phone_serial(str(officer["certificate_no"]))
    found = registered_device_id(tx.conn, serial)
    if found is not None:
        return found
    return insert_device(
        tx,
        agency_id=agency_id,
        kind=PHONE_KIND,
        serial_no=serial,
        model=PHONE_MODEL,
        assigned_officer_id=officer_id,
        noted={"with_upload": record_id, "officer_id": officer_id},
    )
