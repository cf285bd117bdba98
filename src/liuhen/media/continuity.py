"""Segments, recordings, gaps and coverage: pure arithmetic on times, no I/O.

A body camera cuts one recording into segment files. ``group_recordings`` puts segments
of the same device back together (a pause longer than ``max_pause`` starts a new
recording); ``find_gaps`` names every stretch between segments longer than ``tolerance``
(and every overlap, which a correct device clock never produces); ``coverage`` compares
the footage of an act, from any number of devices, with the act's start and end.
Everything returns frozen dataclasses with ``as_dict()`` for the compliance engine, the
UI and ``--json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

TOLERANCE = timedelta(seconds=2)
"""Segments closer than this are continuous (devices round file times to the second)."""
MAX_PAUSE = timedelta(minutes=30)
"""A longer pause between two segments of one device starts a new recording."""


@dataclass(frozen=True)
class Segment:
    key: str
    """What names the segment for people and links: a file name, a hash or a row id."""
    start: datetime
    end: datetime
    device: str = ""
    """The recording device; segments without one are never joined to others."""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"segment {self.key!r}: times must be timezone-aware")
        if self.end < self.start:
            raise ValueError(f"segment {self.key!r}: end before start")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "device": self.device,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "seconds": self.duration.total_seconds(),
        }


@dataclass(frozen=True)
class Gap:
    """Time between ``after`` ending and ``before`` starting with no footage."""

    after: str
    before: str
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {
            "after": self.after,
            "before": self.before,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class Overlap:
    """``second`` starts before ``first`` ends: two segments claim the same moment."""

    first: str
    second: str
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "second": self.second,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class Recording:
    device: str
    segments: tuple[Segment, ...]
    gaps: tuple[Gap, ...]
    overlaps: tuple[Overlap, ...]

    @property
    def start(self) -> datetime:
        return self.segments[0].start

    @property
    def end(self) -> datetime:
        return max(s.end for s in self.segments)

    @property
    def recorded(self) -> timedelta:
        """Time with footage (overlaps counted once)."""
        return sum((e - s for s, e in merge(self.segments)), timedelta())

    @property
    def continuous(self) -> bool:
        return not self.gaps and not self.overlaps

    def as_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "recorded_seconds": self.recorded.total_seconds(),
            "continuous": self.continuous,
            "segments": [s.as_dict() for s in self.segments],
            "gaps": [g.as_dict() for g in self.gaps],
            "overlaps": [o.as_dict() for o in self.overlaps],
        }


def segments_from(record: Mapping[str, Any], device: str = "") -> list[Segment]:
    """The segments of a stored record in its case-bundle form (``segments[].start`` …)."""
    return [
        Segment(
            str(s.get("file_name") or s.get("sha256") or i),
            datetime.fromisoformat(s["start"]),
            datetime.fromisoformat(s["end"]),
            device or str(record.get("device_id", "")),
        )
        for i, s in enumerate(record.get("segments", []))
    ]


def ordered(segments: Iterable[Segment]) -> list[Segment]:
    return sorted(segments, key=lambda s: (s.start, s.end, s.key))


def find_gaps(
    segments: Iterable[Segment], *, tolerance: timedelta = TOLERANCE
) -> tuple[tuple[Gap, ...], tuple[Overlap, ...]]:
    """Gaps and overlaps longer than ``tolerance`` between time-ordered segments."""
    gaps: list[Gap] = []
    overlaps: list[Overlap] = []
    last: Segment | None = None
    for seg in ordered(segments):
        if last is not None:
            if seg.start - last.end > tolerance:
                gaps.append(Gap(last.key, seg.key, last.end, seg.start))
            elif last.end - seg.start > tolerance:
                overlaps.append(Overlap(last.key, seg.key, seg.start, min(last.end, seg.end)))
        if last is None or seg.end > last.end:
            last = seg
    return tuple(gaps), tuple(overlaps)


def recording(segments: Sequence[Segment], *, tolerance: timedelta = TOLERANCE) -> Recording:
    """The segments as one recording (one device, or the device of the first)."""
    if not segments:
        raise ValueError("a recording needs at least one segment")
    segs = tuple(ordered(segments))
    gaps, overlaps = find_gaps(segs, tolerance=tolerance)
    return Recording(segs[0].device, segs, gaps, overlaps)


def group_recordings(
    segments: Iterable[Segment],
    *,
    tolerance: timedelta = TOLERANCE,
    max_pause: timedelta = MAX_PAUSE,
) -> list[Recording]:
    """Segments of one device whose pauses are at most ``max_pause`` form one recording.

    A segment that overlaps the one before by more than ``tolerance`` (the device clock
    jumped back) starts a new recording too; segments without a device each stand alone.
    Recordings come out in start order.
    """
    groups: list[list[Segment]] = []
    by_device: dict[str, list[list[Segment]]] = {}
    for seg in ordered(segments):
        if not seg.device:
            groups.append([seg])
            continue
        open_groups = by_device.setdefault(seg.device, [])
        fits = [
            g for g in open_groups if -tolerance <= seg.start - max(s.end for s in g) <= max_pause
        ]
        if fits:
            max(fits, key=lambda g: max(s.end for s in g)).append(seg)
        else:
            open_groups.append([seg])
            groups.append(open_groups[-1])
    recordings = [recording(g, tolerance=tolerance) for g in groups]
    return sorted(recordings, key=lambda r: (r.start, r.device))


def join_distance(
    held: Sequence[Segment],
    new: Sequence[Segment],
    *,
    tolerance: timedelta = TOLERANCE,
    max_pause: timedelta = MAX_PAUSE,
) -> timedelta | None:
    """How far ``new`` lies from the recording ``held`` when it may continue it, else None.

    The rule ``group_recordings`` applies inside one import, for footage that arrives later:
    ``new`` may join when no segment of it overlaps a held one by more than ``tolerance``
    and it starts at most ``max_pause`` after the recording ends, ends at most ``max_pause``
    before it starts, or fills a hole between its segments (distance zero). Devices and
    officers are the caller's to compare.
    """
    if not held or not new:
        return None
    for n in new:
        for h in held:
            if min(n.end, h.end) - max(n.start, h.start) > tolerance:
                return None
    start, end = min(s.start for s in held), max(s.end for s in held)
    first, last = min(s.start for s in new), max(s.end for s in new)
    distance = max(timedelta(), first - end, start - last)
    return distance if distance <= max_pause else None


def merge(
    segments: Iterable[Segment], *, tolerance: timedelta = timedelta()
) -> list[tuple[datetime, datetime]]:
    """The spans covered by footage: overlapping (or closer than ``tolerance``) joined."""
    spans: list[tuple[datetime, datetime]] = []
    for seg in ordered(segments):
        if spans and seg.start - spans[-1][1] <= tolerance:
            if seg.end > spans[-1][1]:
                spans[-1] = (spans[-1][0], seg.end)
        else:
            spans.append((seg.start, seg.end))
    return spans


@dataclass(frozen=True)
class Coverage:
    """How the footage of an act covers the act's [start, end] (end None: still open)."""

    act_start: datetime
    act_end: datetime | None
    first: datetime | None
    last: datetime | None
    starts_late: timedelta | None
    """Footage began this long after the act (beyond the tolerance); None if on time."""
    ends_early: timedelta | None
    """Footage stopped this long before the act ended; None if it lasted."""
    uncovered: tuple[tuple[datetime, datetime], ...]
    """Every stretch of the act without footage, in order (start, gaps, end)."""
    covered: timedelta

    @property
    def complete(self) -> bool:
        return self.first is not None and not self.uncovered

    @property
    def ratio(self) -> float | None:
        """Share of the act with footage (None while the act has no end)."""
        if self.act_end is None:
            return None
        total = (self.act_end - self.act_start).total_seconds()
        return 1.0 if total <= 0 else min(1.0, self.covered.total_seconds() / total)

    def as_dict(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "act_start": iso(self.act_start),
            "act_end": iso(self.act_end),
            "first": iso(self.first),
            "last": iso(self.last),
            "starts_late_seconds": self.starts_late.total_seconds() if self.starts_late else None,
            "ends_early_seconds": self.ends_early.total_seconds() if self.ends_early else None,
            "uncovered": [
                {"start": s.isoformat(), "end": e.isoformat(), "seconds": (e - s).total_seconds()}
                for s, e in self.uncovered
            ],
            "covered_seconds": self.covered.total_seconds(),
            "ratio": self.ratio,
            "complete": self.complete,
        }


def coverage(
    segments: Iterable[Segment],
    act_start: datetime,
    act_end: datetime | None,
    *,
    tolerance: timedelta = TOLERANCE,
) -> Coverage:
    """Compare footage (any devices) with an act; stretches within ``tolerance`` are ignored."""
    spans = merge(segments, tolerance=tolerance)
    window_end = act_end if act_end is not None else max((e for _, e in spans), default=act_start)
    first = spans[0][0] if spans else None
    last = spans[-1][1] if spans else None
    starts_late = first - act_start if first is not None and first - act_start > tolerance else None
    ends_early = None
    if act_end is not None and last is not None and act_end - last > tolerance:
        ends_early = act_end - last
    uncovered: list[tuple[datetime, datetime]] = []
    covered = timedelta()
    cursor = act_start
    for start, end in spans:
        lo, hi = max(start, act_start), min(end, window_end)
        if hi <= lo:
            continue
        if lo - cursor > tolerance:
            uncovered.append((cursor, lo))
        covered += hi - lo
        cursor = max(cursor, hi)
    if window_end - cursor > tolerance:
        uncovered.append((cursor, window_end))
    return Coverage(
        act_start=act_start,
        act_end=act_end,
        first=first,
        last=last,
        starts_late=starts_late,
        ends_early=ends_early,
        uncovered=tuple(uncovered),
        covered=covered,
    )
