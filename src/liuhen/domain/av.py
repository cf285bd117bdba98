"""Audio-video records in the case model: the recording, its segments, the device checks
before use, the opening statement, interruptions, evidence notes and retention. Frozen
dataclasses like the rest of ``domain/case.py`` (which holds them on ``Case.av_records``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Segment:
    """One media file of an AV record: its span and content hash."""

    start: datetime
    end: datetime
    sha256: str = ""
    file_name: str = ""


@dataclass(frozen=True, slots=True)
class Precheck:
    """The device check before recording (function, battery, storage)."""

    at: datetime | None = None
    items: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class OpeningStatement:
    at: datetime | None = None
    elements: frozenset[str] = frozenset()
    marks: Mapping[str, int] = field(default_factory=dict)
    """Where each element is said: whole seconds from the start of the recording."""


@dataclass(frozen=True, slots=True)
class Interruption:
    """A stop in recording: when, why, and how it was explained."""

    at: datetime
    reason: str = ""
    resumed_at: datetime | None = None
    explained_by: str | None = None  # voice | written
    reported_to_head: bool = False
    video_at: int | None = None
    """Where the reason is said on restart: whole seconds from the start of the recording."""
    cause: str | None = None
    """The coded cause (``vocab.INTERRUPTION_CAUSES``); None when only ``reason`` text is given."""


@dataclass(frozen=True, slots=True)
class AVEvidence:
    """The statement that goes with AV used as evidence (制作方法、时间、制作人、证明对象)."""

    method: str = ""
    made_at: datetime | None = None
    maker: str = ""
    object: str = ""
    carrier: str = ""  # disc | location
    transcript: bool = False


@dataclass(frozen=True, slots=True)
class Retention:
    term: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AVRecord:
    """Audio-video of one act or one service, made of media segments."""

    id: str
    device_id: str
    officer_id: str
    segments: tuple[Segment, ...]
    act_id: str | None = None
    service_id: str | None = None
    stored_at: datetime | None = None
    linked_at: datetime | None = None
    """When footage stored without a case was linked to this one (None: stored with it)."""
    custodian: str = ""
    precheck: Precheck | None = None
    opening_statement: OpeningStatement | None = None
    interruptions: tuple[Interruption, ...] = ()
    evidence: AVEvidence | None = None
    retention: Retention | None = None
    confidential: bool = False
    trip_id: str | None = None
    """Made on a trip (``Case.trips``) outside an act or service of it: stored after the return."""

    @property
    def started_at(self) -> datetime:
        return self.segments[0].start

    @property
    def ended_at(self) -> datetime:
        return max(s.end for s in self.segments)
