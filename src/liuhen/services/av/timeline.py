"""What the player draws: an AV record's segments, gaps, interruptions and opening-statement
marks on one wall-clock axis, with the file each segment plays from.

Positions in a recording ("the time in the video") are seconds from the start of its first
segment, on the wall clock: a mark at 250 s in a recording with a 4-minute gap after its
first 10 s lies in a later segment. ``locate`` turns such a position into (segment, seconds
into that file) for seeking. Pure arithmetic on the stored details: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from liuhen.domain import vocab
from liuhen.media import continuity

WIDTH = 1000
"""The SVG timeline's width in user units (bars are placed with SVG attributes, not CSS)."""
SLACK = timedelta(seconds=10)
"""An interruption whose stop and restart lie this close to a gap's ends explains it."""


@dataclass(frozen=True)
class Bar:
    x: float
    w: float


@dataclass(frozen=True)
class SegmentBar:
    position: int
    file_name: str
    media_type: str
    kind: str
    start: datetime
    end: datetime
    offset: float
    """Where the segment starts in the recording (seconds)."""
    bar: Bar


@dataclass(frozen=True)
class GapBar:
    index: int
    start: datetime
    end: datetime
    seconds: float
    offset: float
    bar: Bar
    interruption: Mapping[str, Any] | None


@dataclass(frozen=True)
class Mark:
    kind: str  # opening | interruption
    label: str
    offset: float
    x: float


@dataclass(frozen=True)
class Timeline:
    record_id: str
    start: datetime
    end: datetime
    segments: tuple[SegmentBar, ...]
    gaps: tuple[GapBar, ...]
    marks: tuple[Mark, ...] = field(default=())

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def unexplained(self) -> int:
        return sum(1 for g in self.gaps if g.interruption is None)

    def locate(self, offset: float) -> tuple[int, float] | None:
        """(segment position, seconds into its file) for a recording position, or None when
        it falls in a gap."""
        moment = self.start + timedelta(seconds=offset)
        for s in self.segments:
            if s.start <= moment <= s.end:
                return s.position, (moment - s.start).total_seconds()
        return None


def clock(seconds: float | None) -> str:
    """``h:mm:ss`` or ``m:ss`` for a recording position."""
    if seconds is None:
        return ""
    whole = int(round(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def parse_clock(text: str) -> float:
    """``250``, ``4:10`` or ``0:04:10`` → seconds; ValueError otherwise."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.strip().replace(".", "", 1).isdigit() for p in parts):
        raise ValueError(text)
    total = 0.0
    for p in parts:
        total = total * 60 + float(p)
    return total


def timeline(
    record_id: str, details: Mapping[str, Any], files: Sequence[Mapping[Any, Any]]
) -> Timeline:
    """The timeline of one AV record from its details and its ``record_files`` rows."""
    by_hash = {f["blob_sha256"]: f for f in files}
    segs = sorted(details["segments"], key=lambda s: s["start"])
    starts = [datetime.fromisoformat(s["start"]) for s in segs]
    ends = [datetime.fromisoformat(s["end"]) for s in segs]
    start, end = min(starts), max(ends)
    total = max((end - start).total_seconds(), 1e-6)

    def bar(lo: datetime, hi: datetime) -> Bar:
        x = (lo - start).total_seconds() / total * WIDTH
        return Bar(round(x, 2), round(max((hi - lo).total_seconds() / total * WIDTH, 1.5), 2))

    bars = []
    for seg, s, e in zip(segs, starts, ends, strict=True):
        f = by_hash.get(seg.get("sha256", ""), {})
        bars.append(
            SegmentBar(
                position=int(f.get("position", 0)),
                file_name=seg.get("file_name", ""),
                media_type=str(f.get("media_type", "")),
                kind=str((f.get("details") or {}).get("media_kind", "video")),
                start=s,
                end=e,
                offset=(s - start).total_seconds(),
                bar=bar(s, e),
            )
        )
    found, _ = continuity.find_gaps(continuity.segments_from(details))
    interruptions = list(details.get("interruptions") or [])
    gaps = tuple(
        GapBar(
            index=i,
            start=g.start,
            end=g.end,
            seconds=g.seconds,
            offset=(g.start - start).total_seconds(),
            bar=bar(g.start, g.end),
            interruption=explaining(interruptions, g.start, g.end),
        )
        for i, g in enumerate(found)
    )
    marks: list[Mark] = []
    opening = details.get("opening_statement") or {}
    for element, offset in sorted((opening.get("marks") or {}).items(), key=lambda kv: kv[1]):
        label = vocab.OPENING_ELEMENTS.get(element, element)
        marks.append(Mark("opening", label, float(offset), _x(float(offset), total)))
    for item in interruptions:
        if item.get("video_at") is not None:
            offset = float(item["video_at"])
            label = f"中止原因：{item.get('reason', '')}"
            marks.append(Mark("interruption", label, offset, _x(offset, total)))
    return Timeline(record_id, start, end, tuple(bars), gaps, tuple(marks))


def _x(offset: float, total: float) -> float:
    return round(min(max(offset / total, 0.0), 1.0) * WIDTH, 2)


def explaining(
    interruptions: Sequence[Mapping[str, Any]], start: datetime, end: datetime
) -> Mapping[str, Any] | None:
    """The interruption tied to the gap [start, end]: it stops by the gap's start and, when
    it resumed, not before the gap's end (within ``SLACK``)."""
    for item in interruptions:
        at = datetime.fromisoformat(item["at"])
        resumed = item.get("resumed_at")
        if abs(at - start) > SLACK:
            continue
        if resumed is None or abs(datetime.fromisoformat(resumed) - end) <= SLACK:
            return item
    return None
