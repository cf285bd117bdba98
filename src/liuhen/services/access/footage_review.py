"""The approver's review of one AV record's redaction (审查录像遮盖), as a finished view
model: each video file with its player source and timeline, the covers and mutes to keep or
remove (the newest confirmed version, else the detector's proposals) placed on the
timeline and over the picture, and the redacted video of the newest version if made.
Opening it is a view of the record's content: a ledger event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from liuhen.domain.footage_redaction import KINDS, Cover, Mark, Mute, from_dict, ordered
from liuhen.domain.redaction import GROUNDS
from liuhen.ledger.events import Actor
from liuhen.services.access.footage import duration_of, load_footage, proposals_of
from liuhen.services.access.model import AccessRequest
from liuhen.services.access.queries.footage import detections, redacted_of, with_video
from liuhen.services.access.queries.redactions import latest_redactions
from liuhen.services.access.view_log import log_view
from liuhen.store.store import Store


@dataclass(frozen=True)
class FileView:
    position: int
    name: str
    seconds: float
    src: str
    scanned: bool
    faces: int


@dataclass(frozen=True)
class ShownMark:
    """A mark as the page shows it: its number, where it sits on its file's timeline
    (``left``/``width`` in % of the file) and, for a cover, over the picture (% boxes)."""

    number: int
    mark: Mark
    raw: Mapping[str, Any]
    proposed: bool
    left: float
    width: float

    @property
    def is_mute(self) -> bool:
        return isinstance(self.mark, Mute)

    @property
    def kind_name(self) -> str:
        return "静音" if isinstance(self.mark, Mute) else KINDS.get(self.mark.kind, "")

    @property
    def box(self) -> tuple[float, float, float, float]:
        b = self.mark.box if isinstance(self.mark, Cover) else (0.0, 0.0, 0.0, 0.0)
        return (b[0] * 100, b[1] * 100, b[2] * 100, b[3] * 100)

    @property
    def moving(self) -> bool:
        return isinstance(self.mark, Cover) and bool(self.mark.track)


@dataclass
class FootageReview:
    request: AccessRequest
    record_id: str
    title: str
    files: list[FileView]
    marks: list[ShownMark]
    raw: list[dict[str, Any]]
    version: int = 0
    confirmed_by: str = ""
    confirmed_at: Any = None
    derived_id: str = ""
    editable: bool = True
    scanned: bool = False
    kinds: list[tuple[str, str]] = field(default_factory=lambda: list(KINDS.items()))
    grounds: list[tuple[str, str]] = field(default_factory=lambda: list(GROUNDS.items()))

    @property
    def covers(self) -> list[ShownMark]:
        return [m for m in self.marks if not m.is_mute]

    @property
    def mutes(self) -> list[ShownMark]:
        return [m for m in self.marks if m.is_mute]

    def on(self, position: int) -> list[ShownMark]:
        return [m for m in self.marks if m.mark.file == position]


def footage_review(
    store: Store,
    actor: Actor,
    request_id: str,
    record_id: str,
    *,
    case: Mapping[str, Any] | None = None,
    log: bool = True,
) -> FootageReview:
    """The review page of AV record ``record_id`` in the request (approval.decide)."""
    request, item, files = load_footage(store, actor, request_id, record_id, case=case)
    with store.read() as conn:
        found = detections(conn, request.id, [record_id]).get(record_id, {})
        latest = latest_redactions(conn, request.id).get(record_id)
        made = redacted_of(conn, request.id)
    if log:
        log_view(store, actor, request.case_id, "footage_review",
                 access_request_id=request.id, record_id=record_id)  # fmt: skip
    proposed = proposals_of(found)
    raw = list(latest["marks"]) if latest else proposed
    views = [
        FileView(
            f["position"],
            f["file_name"],
            duration_of(f)
            or (found.get(f["position"], {}).get("details", {}).get("duration_ms", 0) / 1000),
            f"/records/{record_id}/files/{f['position']}",
            f["position"] in found,
            len(found.get(f["position"], {}).get("proposals", [])),
        )
        for f in files
    ]
    review = FootageReview(
        request, record_id, item["title"], views, shown(views, raw, proposed), raw
    )
    review.scanned = all(v.scanned for v in views)
    review.editable = request.approval is None or not request.approval.closed
    if latest:
        review.version = latest["version"]
        review.confirmed_by = latest["details"].get("confirmed_by", "")
        review.confirmed_at = latest["created_at"]
        done = made.get(latest["id"])
        review.derived_id = done["derived_id"] if done else ""
    return review


def shown(
    files: Sequence[FileView],
    raw: Sequence[Mapping[str, Any]],
    proposed: Sequence[Mapping[str, Any]],
) -> list[ShownMark]:
    """The marks in order (covers, then mutes; by file and time), each placed on its file's
    timeline; whether the detector proposed it (same file, times and box)."""
    lengths = {f.position: f.seconds or 1.0 for f in files}
    keys = {
        (p.get("file"), p.get("start"), p.get("end"), tuple(p.get("box") or ())) for p in proposed
    }
    pairs = [(from_dict(m), m) for m in raw]
    stored = {id(mark): m for mark, m in pairs}
    out = []
    for n, mark in enumerate(ordered([p[0] for p in pairs]), start=1):
        m = stored[id(mark)]
        length = lengths.get(mark.file, 1.0)
        left = max(0.0, min(100.0, mark.start / length * 100))
        width = max(0.5, min(100.0 - left, (mark.end - mark.start) / length * 100))
        key = (m.get("file"), m.get("start"), m.get("end"), tuple(m.get("box") or ()))
        out.append(ShownMark(n, mark, m, key in keys, left, width))
    return out


def footage_rows(store: Store, request: AccessRequest) -> list[dict[str, Any]]:
    """For the request's page: each AV record of a copy request with the faces found and
    the marks confirmed (four queries; none for a request without footage). A sound
    recording, which has no picture, is copied as before (its mark on a still card)."""
    wanted = [i for i in request.included if i["kind"] == "av"]
    if request.kind != "copy" or not wanted:
        return []
    with store.read() as conn:
        video = with_video(conn, [i["record_id"] for i in wanted])
        found = detections(conn, request.id, [i["record_id"] for i in wanted])
        latest = latest_redactions(conn, request.id)
        made = redacted_of(conn, request.id)
    rows = []
    for item in (i for i in wanted if i["record_id"] in video):
        files = found.get(item["record_id"], {})
        done = latest.get(item["record_id"])
        faces = sum(len(f["proposals"]) for f in files.values())
        rows.append(
            {
                "record_id": item["record_id"],
                "title": item["title"],
                "scanned": bool(files),
                "faces": faces,
                "version": done["version"] if done else 0,
                "marks": len(done["marks"]) if done else 0,
                "confirmed_by": done["details"].get("confirmed_by", "") if done else "",
                "made": bool(done and done["id"] in made),
                "waiting": faces > 0 and not done,
            }
        )
    return rows
