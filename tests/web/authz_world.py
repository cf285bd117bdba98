"""A small world for authorization tests: one user per role in agency 甲, section 一队, and
cases of every kind the matrix distinguishes (own, other section, confidential, other
agency), each with a record, a file and an open approval; plus what the documented matrix
says should happen to each (role, action, case kind)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.helpers import SYSTEM

from liuhen.services.permissions import CONFIDENTIALITY, GRANTS, ROLES
from liuhen.store.store import Store

PASSWORD = "Role-pass-2026!"
SECTION, OTHER_SECTION = "一队", "二队"
MARK = "国家秘密"
KINDS = ("own", "other_section", "confidential", "other_agency", "missing")


@dataclass
class World:
    agency: str
    other_agency: str
    users: dict[str, str] = field(default_factory=dict)  # role -> username
    cases: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> ids


def expected(role: str, action: str | None, kind: str | None) -> str:
    """allowed / 403 / 404 as docs/permissions.md states it (GRANTS and CONFIDENTIALITY
    read as the table reads, not through ``require``)."""
    if kind == "missing":
        return "404"
    if action is None:
        return "allowed"
    scope = GRANTS[role].get(action)
    if scope is None:
        return "403"
    if kind in (None, "own"):
        return "allowed"
    reach = {
        "other_section": scope in ("agency", "all"),
        "confidential": scope in ("section", "agency", "all")
        and role in CONFIDENTIALITY[MARK]["roles"],
        "other_agency": scope == "all",
    }[kind]
    return "allowed" if reach else "403"


def build_world(store: Store, tmp: Path) -> World:
    from liuhen.services.admin.agency import add_officer, create_agency
    from liuhen.services.admin.users import add_user

    agency = create_agency(store, SYSTEM, name="甲镇人民政府", profile_id="shanxi-township")
    other = create_agency(store, SYSTEM, name="乙镇人民政府", profile_id="shanxi-township")
    world = World(agency, other)
    ours = []
    for n, role in enumerate(ROLES):
        officer = add_officer(
            store, SYSTEM, agency_id=agency, name=f"{ROLES[role][:2]}{n}", certificate_no=f"R{n}"
        )
        ours.append(officer)
        add_user(
            store,
            SYSTEM,
            username=f"u_{role}",
            password=PASSWORD,
            display_name=f"{ROLES[role]}甲",
            roles=[role],
            agency_id=agency,
            section=SECTION,
            officer_id=officer,
        )
        world.users[role] = f"u_{role}"
    stranger = add_officer(store, SYSTEM, agency_id=agency, name="外队", certificate_no="X1")
    far = add_officer(store, SYSTEM, agency_id=other, name="乙镇", certificate_no="Y1")
    plan = {
        "own": (agency, SECTION, [], ours),
        "other_section": (agency, OTHER_SECTION, [], [stranger]),
        "confidential": (agency, SECTION, [MARK], [stranger]),
        "other_agency": (other, SECTION, [], [far]),
    }
    for n, (kind, (agency_id, section, marks, officers)) in enumerate(plan.items()):
        world.cases[kind] = _case(store, tmp, n, agency_id, section, marks, officers)
    world.cases["missing"] = {
        "case": "no-such-case",
        "record": "no-such-record",
        "approval": "no-such-approval",
        "request": "no-such-request",
        "av": "no-such-record",
    }
    return world


def _case(
    store: Store,
    tmp: Path,
    n: int,
    agency: str,
    section: str,
    marks: list[str],
    officers: list[str],
) -> dict[str, str]:
    from liuhen.media.synthetic import make_video
    from liuhen.services.access.requests import register_request
    from liuhen.services.approvals.workflow import request_approval
    from liuhen.services.av.devices import register_device
    from liuhen.services.av.ingest import import_av
    from liuhen.services.av.versions import link_av
    from liuhen.services.cases.cases import open_case
    from liuhen.services.cases.files import store_file
    from liuhen.services.cases.records import AttachedFile, add_record, record_act

    start = datetime(2026, 11, 16, 9, 0, tzinfo=store.settings.tz) + timedelta(hours=n)
    number = f"权〔2026〕{n + 1}号"
    case = open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number=number,
        title=f"权限测试案{n + 1}",
        procedure="general",
        party={"kind": "organisation", "name": f"某店{n + 1}"},
        opened_at=start,
        section=section,
        confidentiality=marks,
    )
    act = record_act(
        store,
        SYSTEM,
        case_id=case,
        kind="inspection",
        started_at=start,
        ended_at=start + timedelta(minutes=30),
        place="老街1号",
        officer_ids=officers[:2] if len(officers) < 3 else officers,
    )
    doc = tmp / f"笔录{n}.txt"
    doc.write_text(f"现场检查笔录 {number}", encoding="utf-8")
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
            "officer_ids": officers[:2],
            "fields": {"findings": "店外堆放货架"},
        },
        files=[AttachedFile(blob.sha256, doc.name, "text/plain")],
    )
    approval = request_approval(
        store,
        SYSTEM,
        case_id=case,
        kind="initiation",
        opinion="建议立案调查",
        fields={"reason": "占道经营", "party": f"某店{n + 1}"},
        officer_id=officers[0],
    )
    footage = make_video(
        tmp / f"DSJ_{n}.mp4", seconds=1.0, width=64, height=48, creation_time=start, title=number
    )
    [imported] = import_av(store, SYSTEM, [footage]).records
    device = register_device(
        store, SYSTEM, kind="body_camera", serial_no=f"DSJ-W-{n}", agency_id=agency
    )
    av = link_av(
        store,
        SYSTEM,
        imported["record_id"],
        case_id=case,
        act_id=act,
        device_id=device,
        officer_id=officers[0],
    )
    request = register_request(
        store,
        SYSTEM,
        case_id=case,
        kind="view",
        requester={
            "name": "王某",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "relation": "party",
            "phone": "13800000000",
        },
        record_ids=[record],
        purpose="查阅",
    )
    return {
        "case": case,
        "number": number,
        "record": record,
        "approval": approval,
        "request": request,
        "av": av,
        "device": device,
        "act": act,
    }


UNOWNED = {
    "upload_id": "no-such-upload",
    "sha256": "0" * 64,
    "device_id": "no-such-device",
    "link_id": "no-such-link",
    "index": "0",  # a gap between segments: the world's footage is one unbroken segment
    "grant_id": "no-such-grant",  # a written authorisation (授权)
    "user_id": "no-such-user",  # an account (账户管理)
    "job_id": "no-such-job",  # an export job (its case is the path's case_ref)
}
"""Path parameters the world has no row for (an upload of its uploader, a stored file, a
device, a share link, a gap, an account): routes with only these are walked once per role,
and "no such thing" (404) past the permission check counts as let in."""


def names_unowned(path: str) -> bool:
    return any(f"{{{name}}}" in path for name in UNOWNED)


def case_scoped(path: str) -> bool:
    """The path names something a case owns (a parameter of ``CASE_PARAMS``)."""
    from liuhen.web.auth.permission import CASE_PARAMS

    return any(f"{{{name}}}" in path or f"{{{name}:" in path for name in CASE_PARAMS)


def fill(path: str, ids: dict[str, str]) -> str | None:
    """The path with real ids of one case (its footage for the AV pages); None when it names
    a parameter we cannot fill."""
    values = {
        "case_ref": ids.get("case", ""),
        "record_id": ids.get("av" if path.startswith("/av/") else "record", ""),
        "approval_id": ids.get("approval", ""),
        "request_id": ids.get("request", ""),
        "position": "1",
        **UNOWNED,
    }
    import re

    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    if any(name not in values for name in names):
        return None
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], path)


def outcome(status: int, body: str) -> str:
    if status == 403:
        assert "表单已过期" not in body, "a CSRF refusal hid the permission outcome"
        return "403"
    if status == 404:
        return "404"
    assert status < 500, f"server error {status}: {body[:300]}"
    assert status not in (401,), "signed-in user was asked to sign in"
    return "allowed"


def route_action(route: Any) -> tuple[bool, str | None]:
    """(declared, action) from the route's dependencies: ``permission(action)`` or
    ``current_user`` alone (then the path must be in SIGNED_IN_ROUTES)."""
    from liuhen.web.auth.permission import current_user

    found: list[str] = []
    signed_in = False
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        action = getattr(dep.call, "liuhen_action", None)
        if action:
            found.append(action)
        if dep.call is current_user:
            signed_in = True
        stack.extend(dep.dependencies)
    if found:
        return True, found[0]
    return signed_in, None
