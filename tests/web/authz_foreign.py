"""Objects of ANOTHER agency for the authorization walk (issue 13, scope without holes):
beside agency 乙's case of ``authz_world`` (its record, footage, approval, party request,
device), 乙 gets an upload in progress, a share link, a written authorisation, footage no
case holds (a photo with no registered device) and a stored file; and the paths of the
app filled with them — all of them, or the world's own case with 乙's objects under it.

Every route that takes an id is tried with these by every role of agency 甲; none may let
anyone in but a grant over every agency (``expected_foreign``)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.helpers import SYSTEM, run_jobs
from tests.web.authz_world import UNOWNED, World

from liuhen.services.permissions import ALL, GRANTS
from liuhen.store.store import Store

PASSWORD = "Far-pass-2026!"
ID_PARAMS = ("case_ref", "record_id", "approval_id", "request_id", *UNOWNED)
REQUESTER = {
    "name": "李某",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
    "relation": "party",
    "phone": "13900000000",
}


@dataclass(frozen=True)
class Foreign:
    """Agency 乙's objects, by the path parameter that names each."""

    ids: dict[str, str]
    footage: str  # 乙's footage no case holds
    number: str  # 乙's case number
    copy_request: str  # 乙's approved copy request, which the share link belongs to


def build_foreign(store: Store, world: World, tmp: Path) -> Foreign:
    """乙's upload, share link, authorisation, unlinked photo and file, beside its case."""
    from tests.factories import make_user

    from liuhen.media.importing import ImportOptions
    from liuhen.media.synthetic import make_photo
    from liuhen.services.av.ingest import import_av
    from liuhen.services.av.uploads import Uploads

    far = world.cases["other_agency"]
    people = {
        role: make_user(store, f"far_{role}", role, agency_id=world.other_agency, password=PASSWORD)
        for role in ("head", "custodian")
    }
    deputy = make_user(store, "far_deputy", "head", agency_id=world.other_agency)
    photo = make_photo(tmp / "IMG_FAR.jpg", taken_at=store.clock().replace(tzinfo=None))
    options = ImportOptions(agency_id=world.other_agency)
    [footage] = import_av(store, SYSTEM, [photo], options).records
    upload = Uploads(store).create(
        people["custodian"].actor, length=1000, metadata={"filename": "DSJ_far.mp4"}
    )
    copy_request, link = _link(store, far, people["head"])
    ids = {
        "case_ref": far["case"],
        "record_id": far["record"],
        "approval_id": far["approval"],
        "request_id": far["request"],
        "upload_id": upload.id,
        "sha256": hashlib.sha256(photo.read_bytes()).hexdigest(),
        "device_id": far["device"],
        "link_id": link,
        "grant_id": _grant(store, people["head"], deputy),
        "user_id": people["custodian"].id,  # 乙's account
        "index": "0",
        "position": "1",
        "job_id": "no-such-job",  # an export job is found through its case (case_ref)
    }
    return Foreign(ids, footage["record_id"], far["number"], copy_request)


def _link(store: Store, far: dict[str, str], head: Any) -> tuple[str, str]:
    """乙's approved copy request and a share link of it."""
    from liuhen.services.access.requests import register_request
    from liuhen.services.access.share_links import issue_link
    from liuhen.services.approvals.queries import inbox
    from liuhen.services.approvals.workflow import decide

    before = {a.id for a in inbox(store, head.actor)}
    request = register_request(
        store, SYSTEM, case_id=far["case"], kind="copy", requester=REQUESTER,
        record_ids=[far["record"]], purpose="申请行政复议需要",
    )  # fmt: skip
    [waiting] = [a for a in inbox(store, head.actor) if a.id not in before]
    decide(
        store, head.actor, waiting.id, decision="approved", opinion="同意复制",
        position="head", final=True,
    )  # fmt: skip
    run_jobs(store)  # the copies: the cluster's job
    return request, issue_link(store, SYSTEM, request).id


def _grant(store: Store, head: Any, deputy: Any) -> str:
    """乙's principal head authorises a deputy (授权)."""
    from liuhen.services.approvals.authorisations import grant_authorisation

    now = store.clock()
    return grant_authorisation(
        store, head.actor, user_id=deputy.id, position="deputy_head", scope="access_request",
        starts_at=now, ends_at=now + timedelta(days=30), reference="乙授〔2026〕1号",
    )  # fmt: skip


def takes_an_id(path: str) -> bool:
    return any(f"{{{name}}}" in path or f"{{{name}:" in path for name in ID_PARAMS)


def _fill(path: str, values: dict[str, str]) -> str | None:
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    if any(name not in values for name in names):
        return None
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], path)


def variants(path: str, world: World, far: Foreign) -> dict[str, str | None]:
    """The path filled with 乙's objects: ``foreign`` (every id 乙's; the AV pages with 乙's
    linked footage), ``unlinked`` (乙's footage no case holds in place of a record),
    ``mixed`` (甲's own case, 乙's objects under it)."""
    own = world.cases["own"]
    record = world.cases["other_agency"]["av" if path.startswith("/av/") else "record"]
    foreign = {**far.ids, "record_id": record}
    # a share link under 乙's copy request, a request's page under that request
    if "{link_id}" in path:
        foreign["request_id"] = far.copy_request
    found: dict[str, str | None] = {"foreign": _fill(path, foreign)}
    if "{record_id}" in path:
        found["unlinked"] = _fill(path, {**foreign, "record_id": far.footage})
    if "{case_ref}" in path and any(f"{{{n}}}" in path for n in ID_PARAMS if n != "case_ref"):
        found["mixed"] = _fill(path, {**foreign, "case_ref": own["case"]})
    return found


def expected_foreign(role: str, action: str | None, variant: str) -> bool:
    """Whether ``role`` may be let in: only a grant over every agency reaches 乙's
    objects, and nothing reaches 乙's objects under 甲's case."""
    if action is None:
        return True
    return variant != "mixed" and GRANTS[role].get(action) == ALL
