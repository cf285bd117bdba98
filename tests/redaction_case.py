"""A case for redaction tests: a 询问笔录 whose interviewee is a witness (赵六, a third
party) with ID number, phone and address, rendered by LiuHen; the party 王某 requests a copy.
Used by the service, web and browser tests of issue 17 item 1."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from liuhen.demo.documents import sample_document
from liuhen.services.cases.documents import save_document
from liuhen.services.cases.records import record_act
from tests.factories import SYSTEM, make_agency, make_case, make_user

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
THIRD_ID = "140102198001011234"
THIRD_PHONE = "13912345678"
THIRD_ADDRESS = "示范镇新华街47号"
PARTY_ID = "11010519491231002X"
PARTY_PHONE = "13800000000"
REQUESTER = {
    "name": "王某",
    "id_type": "resident_id",
    "id_number": PARTY_ID,
    "relation": "party",
    "phone": PARTY_PHONE,
}


def witness_statement() -> Any:
    """The sample 询问笔录, its interviewee a witness (赵六) with ID number, phone, address."""
    filled = sample_document("inquiry_record")
    values = dict(filled.values)
    values.update(
        cause="王某占道经营案",
        interviewee_name="赵六",
        interviewee_id_number=THIRD_ID,
        interviewee_phone=THIRD_PHONE,
        interviewee_address=THIRD_ADDRESS,
        interviewee_relation="证人",
        party_name="王某",
        party_id_number=PARTY_ID,
        qa=(
            "问：请说明你的身份。\n"
            f"答：我叫赵六，电话{THIRD_PHONE}，住{THIRD_ADDRESS}。\n"
            "问：3月5日你看见了什么？\n"
            f"答：看见王某在新华街人行道上摆货架卖水果。王某的电话是{PARTY_PHONE}。\n"
            "问：还有谁在场？\n答：我的邻居，在县医院上班。"
        ),
    )
    signatures = tuple(
        replace(s, name="赵六") if s.role == "party" else s for s in filled.signatures
    )
    return replace(filled, values=values, signatures=signatures)


def setup_case(store: Any) -> dict[str, Any]:
    filled = witness_statement()
    made = make_agency(store, officers={o.name: o.certificate_number for o in filled.officers})
    case = make_case(
        store,
        made["agency"],
        party={"kind": "person", "name": "王某", "id_number": PARTY_ID, "phone": PARTY_PHONE},
        opened_at=T0,
    )
    officers = [made[o.name] for o in filled.officers]
    act = record_act(
        store,
        SYSTEM,
        case_id=case,
        kind="inquiry",
        started_at=T0,
        ended_at=T0 + timedelta(hours=1),
        place="询问室",
        officer_ids=officers,
    )
    saved = save_document(store, SYSTEM, case_id=case, act_id=act, filled=filled)
    head = make_user(store, "liuzhang", "head", agency_id=made["agency"], display_name="刘镇长")
    clerk = make_user(
        store,
        "zhangjg",
        "officer",
        agency_id=made["agency"],
        officer_id=officers[0],
        display_name="张建国",
    )
    return {"case": case, "saved": saved, "head": head.actor, "clerk": clerk.actor}
