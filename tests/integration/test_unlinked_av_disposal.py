"""AV footage that no case holds (the demo township's default: 3 years from storage): refused before its date;
after it, an approval without a case — found in the head's inbox, decided there — lets the
custodian dispose of it; the bytes go, the tombstones stay and ``verify`` passes. An approval
asked while unlinked no longer serves once the footage is linked to a case."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.factories import make_user
from tests.helpers import SYSTEM, add_people, make_case_with_files

from liuhen.errors import Conflict, ForbiddenChange, PermissionDenied
from liuhen.media.synthetic import make_recording
from liuhen.services.admin.agency import create_agency
from liuhen.services.approvals.queries import approval_state, inbox
from liuhen.services.approvals.workflow import decide
from liuhen.services.archiving.disposal import disposal_info, dispose, request_disposal
from liuhen.services.archiving.integrity import verify
from liuhen.services.av.devices import register_device
from liuhen.services.av.ingest import import_av
from liuhen.services.av.versions import link_av
from liuhen.store import tables as t

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
PASSWORD = "Archive-pass-2026"


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_recording(tmp_path_factory.mktemp("dock"), start=T0, pauses=(0,))


def _people(store: Any, agency: str) -> dict[str, Any]:
    return add_people(
        store,
        agency,
        {
            "keeper": ("王档案", "custodian"),
            "chief": ("赵局长", "head"),
            "clerk": ("李科员", "officer"),
        },
        PASSWORD,
    )


def _unlinked(store: Any, keeper: Any, footage: list[Path]) -> tuple[str, list[str]]:
    report = import_av(store, keeper.actor, footage)
    record_id = report.records[0]["record_id"]
    with store.read() as conn:
        shas = [
            r[0]
            for r in conn.execute(
                select(t.record_files.c.blob_sha256).where(t.record_files.c.record_id == record_id)
            )
        ]
    return record_id, shas


def test_unlinked_footage_is_disposed_of_with_a_caseless_approval(store, footage, clock):
    clock.now = T0 + timedelta(hours=1)
    agency = create_agency(store, SYSTEM, name="测试镇人民政府", profile_id="shanxi-township")
    people = _people(store, agency)
    keeper, chief = people["custodian"], people["head"]
    record_id, shas = _unlinked(store, keeper, footage)
    assert shas and all(store.blobs.exists(s) for s in shas)

    with pytest.raises(ForbiddenChange, match="保管期限内不得处置"):
        request_disposal(store, keeper.actor, record_id, reason="期满")
    info = disposal_info(store, record_id)
    assert info["retention"].citation == "行政处罚法§47" and not info["disposable"]

    clock.now = info["retention"].until + timedelta(days=1)
    approval = request_disposal(store, keeper.actor, record_id, reason="保管期满，未关联任何案件")
    state = approval_state(store, approval)
    assert state.case_id is None and state.subject_record_id == record_id
    assert state.subject_title and state.case_number == ""
    with pytest.raises(PermissionDenied):  # an officer may not decide approvals
        inbox(store, people["officer"].actor)
    [waiting] = inbox(store, chief.actor)
    assert waiting.id == approval
    elsewhere = create_agency(store, SYSTEM, name="邻镇人民政府", profile_id="shanxi-township")
    stranger = make_user(
        store, "other-chief", "head", agency_id=elsewhere, display_name="钱镇长", password=PASSWORD
    )
    assert inbox(store, stranger.actor) == []  # the footage's agency is the keeper's
    with pytest.raises(PermissionDenied, match="该音像记录（本机关之外）"):  # not named
        decide(
            store,
            stranger.actor,
            approval,
            decision="approved",
            opinion="同意",
            position="head",
            final=True,
        )
    assert [a.id for a in disposal_info(store, record_id)["approvals"]] == [approval]
    with pytest.raises(Conflict, match="尚未办结"):
        dispose(store, keeper.actor, record_id, approval_id=approval)
    decided = decide(
        store,
        chief.actor,
        approval,
        decision="approved",
        opinion="同意处置",
        position="head",
        final=True,
    )
    assert decided.closed and decided.outcome == "approved"
    assert inbox(store, chief.actor) == []

    result = dispose(store, keeper.actor, record_id, approval_id=approval)
    assert result.case_id is None
    assert sorted(f["sha256"] for f in result.files) == sorted(shas)
    assert not any(store.blobs.exists(s) for s in shas)
    report = verify(store, SYSTEM)
    assert report.ok, report.problems
    assert sorted(d["sha256"] for d in report.disposed) == sorted(shas)
    assert len(disposal_info(store, record_id)["tombstones"]) == len(shas)


def test_an_approval_asked_while_unlinked_does_not_serve_once_linked(
    store, footage, clock, tmp_path
):
    clock.now = T0 + timedelta(hours=1)
    made = make_case_with_files(store, tmp_path)
    people = _people(store, made["agency"])
    keeper, chief = people["custodian"], people["head"]
    record_id, shas = _unlinked(store, keeper, footage)
    clock.now = disposal_info(store, record_id)["retention"].until + timedelta(days=1)
    approval = request_disposal(store, keeper.actor, record_id, reason="保管期满")
    decide(
        store,
        chief.actor,
        approval,
        decision="approved",
        opinion="同意",
        position="head",
        final=True,
    )
    register_device(store, keeper.actor, kind="body_camera", serial_no="DSJ-V9-0001")
    linked = link_av(
        store,
        keeper.actor,
        record_id,
        case_id=made["case"],
        act_id=made["act"],
        officer_id=made["o1"],
    )
    with pytest.raises(ForbiddenChange, match="保管期限内不得处置"):
        dispose(store, keeper.actor, linked, approval_id=approval)  # now kept with its case
    assert all(store.blobs.exists(s) for s in shas)
