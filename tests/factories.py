"""Small factories for the things most tests start from: an agency and its officers, users,
a case, and the usual case with one act and one stored record. Each takes overrides; each
goes through the real service functions (so every row has its ledger event)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from liuhen.ledger.events import Actor
from liuhen.store.store import Store

SYSTEM = Actor.system("测试")
PASSWORD = "Officer-pass-2026"
NAMES = {
    "officer": "张三",
    "legal_reviewer": "王审核",
    "section_head": "赵科长",
    "head": "刘局长",
    "custodian": "陈丹",
    "supervisor": "孙监督",
    "admin": "管理员",
}


def make_agency(
    store: Store,
    *,
    name: str = "测试镇人民政府",
    profile_id: str = "shanxi-township",
    officers: dict[str, str] | None = None,
) -> dict[str, str]:
    """An agency and its officers (name -> certificate number); returns ``{"agency": id,
    name: officer id, ...}``."""
    from liuhen.services.admin.agency import add_officer, create_agency

    agency = create_agency(store, SYSTEM, name=name, profile_id=profile_id)
    made = {"agency": agency}
    for officer, certificate in (officers or {}).items():
        made[officer] = add_officer(
            store, SYSTEM, agency_id=agency, name=officer, certificate_no=certificate
        )
    return made


def make_user(
    store: Store,
    username: str,
    role: str = "officer",
    *,
    agency_id: str | None = None,
    officer_id: str | None = None,
    display_name: str | None = None,
    password: str = PASSWORD,
    section: str = "",
) -> Any:
    """One user with one role (the services' ``add_user``); returns the ``User``."""
    from liuhen.services.admin.users import add_user

    return add_user(
        store,
        SYSTEM,
        username=username,
        password=password,
        display_name=display_name or NAMES.get(role, username),
        roles=[role],
        agency_id=agency_id,
        section=section,
        officer_id=officer_id,
    )


def make_users(
    store: Store,
    agency_id: str | None,
    people: dict[str, tuple[Any, ...]],
    *,
    password: str = PASSWORD,
) -> dict[str, Any]:
    """Users of one agency: ``username -> (display name, role[, officer id])``; returns
    them by username."""
    return {
        username: make_user(
            store,
            username,
            person[1],
            agency_id=agency_id,
            officer_id=person[2] if len(person) > 2 else None,
            display_name=person[0],
            password=password,
        )
        for username, person in people.items()
    }


def make_case(
    store: Store,
    agency_id: str,
    *,
    number: str = "测试〔2026〕1号",
    title: str = "某店占道经营案",
    procedure: str = "general",
    party: dict[str, str] | None = None,
    opened_at: datetime | None = None,
) -> str:
    """An open case of ``agency_id`` (opened now by the store's clock unless told)."""
    from liuhen.services.cases.cases import open_case

    return open_case(
        store,
        SYSTEM,
        agency_id=agency_id,
        number=number,
        title=title,
        procedure=procedure,
        party=party or {"kind": "organisation", "name": "某店"},
        opened_at=opened_at or store.clock(),
    )


def make_numbered_case(
    store: Store, agency_id: str, n: int, opened: datetime, actor: Actor = SYSTEM, **more: Any
) -> str:
    """Case ``n`` of a list of test cases (number 测试〔2026〕00n号, title 第n号占道经营案,
    party 当事人n; every fourth a simple procedure), opened by ``actor`` at ``opened``;
    ``more``: ``open_case``'s other fields (section, confidentiality …)."""
    from liuhen.services.cases.cases import open_case

    return open_case(
        store,
        actor,
        agency_id=agency_id,
        number=f"测试〔2026〕{n:03d}号",
        title=f"第{n}号占道经营案",
        procedure="general" if n % 4 else "simple",
        party={"kind": "person", "name": f"当事人{n}"},
        opened_at=opened,
        **more,
    )


def make_inspection(store: Store, case_id: str, opened: datetime, officer_ids: list[str]) -> str:
    """An inspection of the case by ``officer_ids`` (an hour from an hour after ``opened``)."""
    from liuhen.services.cases.records import record_act

    return record_act(
        store,
        SYSTEM,
        case_id=case_id,
        kind="inspection",
        started_at=opened + timedelta(hours=1),
        ended_at=opened + timedelta(hours=2),
        place="老街1号",
        officer_ids=officer_ids,
    )


def make_case_with_files(
    store: Store, tmp: Path, *, number: str = "测试〔2026〕1号"
) -> dict[str, str]:
    """An agency, two officers, one case, an inspection act, a text record with a stored file."""
    from liuhen.services.cases.files import store_file
    from liuhen.services.cases.records import AttachedFile, add_record, record_act

    made = make_agency(store, officers={"张三": f"C-{number}-1", "李四": f"C-{number}-2"})
    o1, o2 = made["张三"], made["李四"]
    start = datetime(2026, 11, 20, 9, 0, tzinfo=store.settings.tz)
    case = make_case(store, made["agency"], number=number, opened_at=start)
    act = record_act(
        store,
        SYSTEM,
        case_id=case,
        kind="inspection",
        started_at=start,
        ended_at=start + timedelta(minutes=30),
        place="老街1号",
        officer_ids=[o1, o2],
    )
    doc = tmp / "笔录.txt"
    doc.write_text("现场检查笔录：店外堆放货架。", encoding="utf-8")
    blob = store_file(store, SYSTEM, doc)
    record = add_record(
        store,
        SYSTEM,
        case_id=case,
        act_id=act,
        kind="text",
        doc_kind="inspection_record",
        title="现场检查笔录",
        details={
            "made_at": (start + timedelta(minutes=30)).isoformat(),
            "officer_ids": [o1, o2],
            "fields": {"findings": "店外堆放货架"},
        },
        files=[AttachedFile(blob.sha256, "笔录.txt", "text/plain")],
    )
    return {
        "agency": made["agency"],
        "case": case,
        "act": act,
        "record": record,
        "blob": blob.sha256,
        "o1": o1,
        "o2": o2,
    }


def ready_to_close(store: Store, case_id: str, *, record: bool = False) -> None:
    """What every general case needs before it closes: an approved 立案审批, and (``record``)
    a 现场检查笔录 as its 调查取证笔录 (``make_case_with_files`` has one already). With them
    nothing holds closing the case as 办结 (``closed``) or filing it (``rules/gates``)."""
    from liuhen.services.approvals.workflow import decide, request_approval
    from liuhen.services.cases.records import add_record
    from liuhen.services.permissions import load_case

    approval = request_approval(
        store,
        SYSTEM,
        case_id=case_id,
        kind="initiation",
        opinion="建议立案调查",
        fields={"reason": "占道经营", "party": "某店"},
    )
    agency = load_case(store, case_id)["agency_id"]
    head = make_user(store, f"head-{case_id[:12]}", "head", agency_id=agency)
    decide(
        store,
        head.actor,
        approval,
        decision="approved",
        opinion="同意",
        position="head",
        final=True,
    )
    if record:
        add_record(
            store,
            SYSTEM,
            case_id=case_id,
            act_id=None,
            kind="text",
            doc_kind="inspection_record",
            title="现场检查笔录",
            details={"made_at": store.clock().isoformat()},
        )


def skip_steps(reason: str = "测试：本案故意略去办案步骤，由负责人说明理由越过评查提示") -> Any:
    """An override of a gate for a test whose case leaves the procedure's steps out on
    purpose (what it tests is elsewhere); the override is recorded like the head's."""
    from liuhen.services.cases.gates import Override

    return Override(reason)
