"""Redaction of a party's copy (复制件遮盖; 002§34, 004§38): proposals, the approver's
confirmed marks, and what deciding a copy request waits for.

When a copy request is registered, each document it gives is read and third parties'
personal data in it are proposed as marks (``services/access/detection.py``), stored with the
request (``details.redaction``: each mark's span, kind, ground and a keyed digest of its
words; the salt stays in the database). The approver reviews each document: keeps,
removes and adds marks, each with its legal ground and reason; every save is a new
version (``redactions``, insert-only, one row per version number) and one
``access.redaction_confirmed`` event listing the marks' spans, grounds, reasons and digests,
never the words themselves. A copy request whose documents have proposals nobody reviewed
cannot be granted. The copy is drawn with the confirmed marks (``redacted_copy.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from liuhen.domain.redaction import Mark, by_key, mark_problems, ordered, text_digest
from liuhen.errors import Conflict, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.access.detection import detect as detect_marks
from liuhen.services.access.detection import persons_from
from liuhen.services.access.model import AccessRequest
from liuhen.services.access.queries.footage import detections, redacted_of
from liuhen.services.access.queries.redactions import (
    latest_redactions,
    officers_named,
    records_with_files,
)
from liuhen.services.access.queries.requests import get_request
from liuhen.services.access.redaction_text import RecordText, officer_ids_of, record_text
from liuhen.services.permissions import require_case
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id


def read_blob(store: Store, sha256: str) -> bytes:
    with store.blobs.open(sha256) as f:
        data: bytes = f.read()
    return data


def texts_of(store: Store, conn: Any, agency: str, record_ids: list[str]) -> dict[str, RecordText]:
    """Record id -> its text for redaction (two queries, and a read of each text file)."""
    found = records_with_files(conn, record_ids)
    officers = officers_named(conn, officer_ids_of([r for r, _ in found.values()]))
    return {
        record_id: record_text(
            record, files, agency=agency, officers=officers, read=lambda s: read_blob(store, s)
        )
        for record_id, (record, files) in found.items()
    }


def propose(
    store: Store,
    conn: Any,
    case: Mapping[str, Any],
    requester: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    current: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """What registration stores for a copy request: a salt and, per text record it gives,
    how it can be redacted and the proposed marks (with digests, not words)."""
    salt = secrets.token_hex(16)
    persons = persons_from(
        case.get("party") or {},
        [r["details"].get("fields") or {} for r in current if r["kind"] == "text"],
        requester,
    )
    wanted = [i["record_id"] for i in items if i["included"] and i["kind"] == "text"]
    texts = texts_of(store, conn, str(case.get("agency_name") or ""), wanted)
    records: dict[str, Any] = {}
    for record_id, text in texts.items():
        marks = detect_marks(text.segments, persons) if text.redactable else []
        records[record_id] = {
            "source": text.source,
            "proposals": _stored(text, marks, salt),
        }
    return {"salt": salt, "records": records}


def _stored(text: RecordText, marks: Sequence[Mark], salt: str) -> list[dict[str, Any]]:
    known = by_key(text.segments)
    return [{**m.to_dict(), "digest": text_digest(salt, m.covered(known))} for m in marks]


def unreviewed(conn: Any, request: Mapping[str, Any]) -> list[str]:
    """Titles of the records of a copy request that have proposed marks nobody reviewed."""
    proposed = (request["details"].get("redaction") or {}).get("records", {})
    waiting = [rid for rid, r in proposed.items() if r.get("proposals")]
    waiting += [  # footage whose faces were found (services/access/footage.py)
        rid
        for rid, files in detections(conn, request["id"], _av_items(request)).items()
        if any(row["proposals"] for row in files.values())
    ]
    if not waiting:
        return []
    done = latest_redactions(conn, request["id"])
    titles = {i["record_id"]: i["title"] for i in request["details"]["items"]}
    return [titles.get(rid, rid) for rid in waiting if rid not in done]


def _av_items(request: Mapping[str, Any]) -> list[str]:
    return [i["record_id"] for i in request["details"]["items"]
            if i["included"] and i["kind"] == "av"]  # fmt: skip


def footage_unmade(conn: Any, request: Mapping[str, Any]) -> list[str]:
    """Titles of the AV records of a copy request whose newest confirmed marks have no
    redacted video yet (``footage_render.py``): their copy cannot be made."""
    av = {i["record_id"]: i["title"] for i in request["details"]["items"]
          if i["included"] and i["kind"] == "av"}  # fmt: skip
    if not av:
        return []
    made = redacted_of(conn, request["id"])
    latest = latest_redactions(conn, request["id"])
    return [
        title
        for rid, title in av.items()
        if rid in latest and latest[rid]["marks"] and latest[rid]["id"] not in made
    ]


def confirm_marks(
    store: Store,
    actor: Actor,
    request_id: str,
    record_id: str,
    marks: Sequence[Mapping[str, Any]],
    *,
    case: Mapping[str, Any] | None = None,
    loaded: tuple[AccessRequest, RecordText] | None = None,
) -> str:
    """Save the marks the approver confirmed for one record of a pending copy request (a new
    version; nothing is saved when any mark is wrong). Returns the version's id. ``case``:
    the case as the permission check loaded it; ``loaded``: the request and the record's
    text as the review page read them in this request (not read again).

    Long: the request and the record's text are read and every mark checked first; then
    one transaction locks the request, checks it is still undecided, numbers the version
    after the newest, inserts it and records access.redaction_confirmed."""
    if loaded is not None and loaded[0].id == request_id:
        request, text = loaded
        require_case(store, actor, "approval.decide", request.case_id, case)
    else:
        request = get_request(store, actor, request_id, _checked=True, case=case)
        found = require_case(store, actor, "approval.decide", request.case_id, case)
        with store.read() as conn:
            agency = str(found.get("agency_name") or "")
            text = texts_of(store, conn, agency, [record_id])[record_id]
    _check_open(request, record_id)
    wanted = [Mark.from_dict(m) for m in marks]
    if wanted and not text.redactable:
        raise InvalidInput("遮盖内容有误", details=[f"marks: {text.note}"])
    problems = mark_problems(text.segments, wanted)
    if problems:
        raise InvalidInput("遮盖内容有误", details=problems)
    salt = (request.redaction or {}).get("salt") or secrets.token_hex(16)
    proposed = (request.redaction or {}).get("records", {}).get(record_id, {}).get("proposals", [])
    stored = _stored(text, ordered(text.segments, wanted), salt)
    kept = {d["digest"] for d in stored}
    redaction_id = new_id()
    with store.transaction(actor) as tx:
        tx.lock("access_requests", request.id)
        latest = latest_redactions(tx.conn, request.id).get(record_id)
        _check_undecided(tx, request)
        version = (latest["version"] + 1) if latest else 1
        change = {
            "proposed": len(proposed),
            "kept": sum(1 for p in proposed if p["digest"] in kept),
            "removed": [p["digest"] for p in proposed if p["digest"] not in kept],
            "added": sum(1 for d in stored if d["digest"] not in {p["digest"] for p in proposed}),
        }
        tx.insert(
            "redactions",
            {
                "id": redaction_id,
                "case_id": request.case_id,
                "request_id": request.id,
                "record_id": record_id,
                "version": version,
                "supersedes_id": latest["id"] if latest else None,
                "marks": stored,
                "details": {
                    "salt": salt,
                    "source": text.source,
                    "confirmed_by": actor.label,
                    **change,
                },  # fmt: skip
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            "access.redaction_confirmed",
            subject_type="access_request",
            subject_id=request.id,
            case_id=request.case_id,
            payload={"record_id": record_id, "redaction_id": redaction_id, "version": version,
                     "supersedes": latest["id"] if latest else None, "marks": stored, **change},
        )  # fmt: skip
    return redaction_id


def _check_open(request: AccessRequest, record_id: str) -> None:
    if request.kind != "copy":
        raise Conflict("只有复制申请的复制件需要遮盖")
    if request.approval is not None and request.approval.closed:
        raise Conflict("该申请已审批办结，遮盖内容不能再修改")
    if record_id not in {i["record_id"] for i in request.included}:
        raise NotFound(f"record: 记录 {record_id} 不是本申请拟提供的记录")


def _check_undecided(tx: Tx, request: AccessRequest) -> None:
    from liuhen.services.access.queries.requests import approval_closed

    if request.approval is not None and approval_closed(tx.conn, request.approval.id):
        raise Conflict("该申请刚已审批办结，遮盖内容不能再修改")
