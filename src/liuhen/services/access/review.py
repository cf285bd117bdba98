"""The approver's review of one document's redaction (审查遮盖), as a finished view model: the
document's text with each mark highlighted, the marks to keep or remove (the newest
confirmed version, else the proposals), and the versions confirmed so far. Opening it is a
view of the record's content: a ledger event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from liuhen.domain.redaction import GROUNDS, KINDS, Mark, Segment, by_key, ordered
from liuhen.errors import Conflict, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.access.model import AccessRequest
from liuhen.services.access.queries.redactions import latest_redactions
from liuhen.services.access.queries.requests import get_request
from liuhen.services.access.redaction_text import RecordText
from liuhen.services.access.redactions import texts_of
from liuhen.services.access.view_log import log_view
from liuhen.services.permissions import require_case
from liuhen.store.store import Store


@dataclass(frozen=True)
class ShownMark:
    number: int
    mark: Mark
    words: str
    label: str
    proposed: bool


@dataclass
class Review:
    request: AccessRequest
    record_id: str
    title: str
    text: RecordText
    marks: list[ShownMark]
    parts: list[tuple[Segment, list[tuple[str, int]]]]
    version: int = 0
    confirmed_by: str = ""
    confirmed_at: Any = None
    editable: bool = True
    kinds: list[tuple[str, str]] = field(default_factory=lambda: list(KINDS.items()))
    grounds: list[tuple[str, str]] = field(default_factory=lambda: list(GROUNDS.items()))


def redaction_review(
    store: Store,
    actor: Actor,
    request_id: str,
    record_id: str,
    *,
    case: Mapping[str, Any] | None = None,
    log: bool = True,
) -> Review:
    """The review page of ``record_id`` in the request (approval.decide on its case)."""
    request = get_request(store, actor, request_id, _checked=True, case=case)
    loaded = require_case(store, actor, "approval.decide", request.case_id, case)
    item = next((i for i in request.included if i["record_id"] == record_id), None)
    if request.kind != "copy":
        raise Conflict("只有复制申请的复制件需要遮盖：查阅申请不提供复制件")
    if item is None:
        raise NotFound(f"record: 记录 {record_id} 不是本复制申请拟提供的记录")
    with store.read() as conn:
        text = texts_of(store, conn, str(loaded.get("agency_name") or ""), [record_id])[record_id]
        latest = latest_redactions(conn, request.id).get(record_id)
    if log:
        log_view(store, actor, request.case_id, "redaction_review",
                 access_request_id=request.id, record_id=record_id)  # fmt: skip
    proposed = request.redaction.get("records", {}).get(record_id, {}).get("proposals", [])
    raw = latest["marks"] if latest else proposed
    digests = {p["digest"] for p in proposed}
    marks = shown(
        text.segments, [Mark.from_dict(m) for m in raw], [m["digest"] in digests for m in raw]
    )
    review = Review(
        request, record_id, item["title"], text, marks, highlighted(text.segments, marks)
    )
    review.editable = request.approval is None or not request.approval.closed
    if latest:
        review.version = latest["version"]
        review.confirmed_by = latest["details"].get("confirmed_by", "")
        review.confirmed_at = latest["created_at"]
    return review


def shown(
    segments: Sequence[Segment], marks: Sequence[Mark], proposed: Sequence[bool]
) -> list[ShownMark]:
    """The marks in reading order with their words (those still within the text)."""
    known = by_key(segments)
    flags = {id(m): p for m, p in zip(marks, proposed, strict=True)}
    fit = [m for m in marks if m.segment in known and m.end <= len(known[m.segment].text)]
    return [
        ShownMark(n, m, m.covered(known), known[m.segment].label, flags.get(id(m), False))
        for n, m in enumerate(ordered(segments, fit), start=1)
    ]


def highlighted(
    segments: Sequence[Segment], marks: Sequence[ShownMark]
) -> list[tuple[Segment, list[tuple[str, int]]]]:
    """Each segment as (text, mark number or 0) parts, for the page to highlight."""
    out = []
    for segment in segments:
        mine = sorted(
            (m for m in marks if m.mark.segment == segment.key), key=lambda m: m.mark.start
        )
        parts, at = [], 0
        for m in mine:
            if m.mark.start < at:
                continue
            parts.append((segment.text[at : m.mark.start], 0))
            parts.append((segment.text[m.mark.start : m.mark.end], m.number))
            at = m.mark.end
        parts.append((segment.text[at:], 0))
        out.append((segment, [p for p in parts if p[0]]))
    return out


def redaction_rows(store: Store, request: AccessRequest) -> list[dict[str, Any]]:
    """For the request's page: each document of a copy request with what redaction found
    and what was confirmed (one query; none for a request without proposals stored)."""
    records = request.redaction.get("records", {})
    if request.kind != "copy" or not records:
        return []
    with store.read() as conn:
        latest = latest_redactions(conn, request.id)
    titles = {i["record_id"]: i["title"] for i in request.included}
    rows = []
    for record_id, found in records.items():
        done = latest.get(record_id)
        rows.append(
            {
                "record_id": record_id,
                "title": titles.get(record_id, record_id),
                "source": found.get("source", "none"),
                "proposed": len(found.get("proposals", [])),
                "version": done["version"] if done else 0,
                "marks": len(done["marks"]) if done else 0,
                "confirmed_by": done["details"].get("confirmed_by", "") if done else "",
                "waiting": bool(found.get("proposals")) and not done,
            }
        )
    return rows
