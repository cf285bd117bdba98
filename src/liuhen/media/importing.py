"""The plan and the report of an AV import, without the store.

``plan_import`` examines every file and groups the accepted ones into recordings (one
device, continuous within ``max_pause``; each photo alone). ``av_details`` builds the
case-bundle ``av_record`` form of a recording. ``ImportReport`` is what the CLI prints
and what ``--json`` emits: every file as ``new``, ``duplicate`` or ``rejected`` with why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from liuhen.media import continuity
from liuhen.media.manifest import ManifestEntry
from liuhen.media.naming import DEFAULT_PATTERNS, NamePattern
from liuhen.media.probe import Opener
from liuhen.media.scan import Candidate, escapes, examine, outside

STATUSES = {"new": "新存储", "duplicate": "已存在", "rejected": "拒收"}
KIND_LABELS = {"video": "视频", "audio": "录音", "photo": "照片"}


@dataclass(frozen=True)
class ImportOptions:
    device: str | None = None
    """The operator's word for the device serial (a manifest or … wins, see scan.examine)."""
    officer: str | None = None
    manifest: Mapping[str, ManifestEntry] | None = None
    patterns: Sequence[NamePattern] = DEFAULT_PATTERNS
    custodian: str = ""
    officer_start: datetime | None = None
    tolerance: timedelta = continuity.TOLERANCE
    max_pause: timedelta | None = None
    """A longer pause starts a new recording; None: the ``av_join_minutes`` setting (the
    same rule joins later arrivals to a stored recording, see ``services.av.join``)."""
    case_id: str | None = None
    """The case the files were sent for: they join only a recording of it, or an unlinked one."""
    act_id: str | None = None
    agency_id: str | None = None
    """The agency receiving the files: footage no case holds is scoped by it (with a
    registered device, the device's agency wins)."""
    root: Path | None = None
    """The folder being imported: a file whose real path lies outside it (a symbolic link
    out of the folder) is refused, not followed."""
    digests: Mapping[str, tuple[str, str]] | None = None
    """(sha256, sm3) by path of files whose digests were computed as they were received
    (a resumable upload's staged file): stored without being read again."""
    opener: Opener | None = None
    """Reads files that are not on this disk (an upload staged in object storage)."""
    adopt: Callable[[Path], Any] | None = None
    """Stores a file the server already holds whole (``digests`` known) without a copy
    through this process, returning its ``BlobInfo``; None: ``BlobStore.adopt_path``."""


@dataclass(frozen=True)
class FileReport:
    path: str
    file_name: str
    status: str
    """``new``, ``duplicate`` or ``rejected``."""
    reason: str = ""
    size: int = 0
    sha256: str | None = None
    record_id: str | None = None
    kind: str | None = None
    time_source: str | None = None
    start: str | None = None
    end: str | None = None
    device: str | None = None
    officer: str | None = None
    warnings: tuple[str, ...] = ()
    joined: str | None = None
    """The version of a stored recording this file continued (its record is a new version)."""

    @classmethod
    def of(
        cls,
        cand: Candidate,
        status: str,
        reason: str = "",
        sha256: str | None = None,
        record_id: str | None = None,
        joined: str | None = None,
    ) -> FileReport:
        return cls(
            path=str(cand.path),
            file_name=cand.name,
            status=status,
            reason=reason,
            size=cand.size,
            sha256=sha256,
            record_id=record_id,
            kind=cand.probe.kind if cand.probe else None,
            time_source=cand.time.source if cand.time else None,
            start=cand.start.isoformat() if cand.start else None,
            end=cand.end.isoformat() if cand.end else None,
            device=cand.device,
            officer=cand.officer,
            warnings=cand.warnings,
            joined=joined,
        )


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": {s: self.count(s) for s in STATUSES},
            "files": [asdict(f) for f in self.files],
            "records": self.records,
        }


def plan_import(
    paths: Sequence[Path], options: ImportOptions, *, now: datetime, tz: tzinfo
) -> tuple[list[list[Candidate]], list[Candidate]]:
    """(recordings of accepted files, refused files), reading each file's header and tail."""
    accepted: list[Candidate] = []
    refused: list[Candidate] = []
    for path in paths:
        if options.root is not None and escapes(path, options.root):
            refused.append(outside(path, options.root))
            continue
        cand = examine(
            path,
            now=now,
            tz=tz,
            device=options.device,
            officer=options.officer,
            manifest=options.manifest,
            patterns=options.patterns,
            officer_start=options.officer_start,
            opener=options.opener,
        )
        (accepted if cand.ok else refused).append(cand)
    return group(accepted, options), refused


def group(accepted: Sequence[Candidate], options: ImportOptions) -> list[list[Candidate]]:
    """Video and audio by officer, device and continuity, in time order; every photo on its
    own. (Files of one device but different officers are different recordings, as for
    footage joined later: ``services.av.join``.)"""
    pause = continuity.MAX_PAUSE if options.max_pause is None else options.max_pause
    by_key = {str(i): c for i, c in enumerate(accepted)}
    recordings: list[continuity.Recording] = []
    for officer in sorted({c.officer or "" for c in accepted}):
        timed = [
            continuity.Segment(key, c.start, c.end, c.device or "")
            for key, c in by_key.items()
            if c.start is not None
            and c.end is not None
            and c.kind != "photo"
            and (c.officer or "") == officer
        ]
        recordings += continuity.group_recordings(
            timed, tolerance=options.tolerance, max_pause=pause
        )
    recordings.sort(key=lambda r: (r.start, r.device))
    groups = [[by_key[s.key] for s in rec.segments] for rec in recordings]
    return groups + [[c] for c in accepted if c.kind == "photo"]


def as_segments(cands: Sequence[Candidate]) -> list[continuity.Segment]:
    return [
        continuity.Segment(c.name, c.start, c.end, c.device or "")
        for c in cands
        if c.start is not None and c.end is not None
    ]


def av_details(
    stored: Sequence[tuple[Candidate, str]],
    *,
    device_id: str,
    officer_id: str,
    stored_at: datetime,
    custodian: str,
    tz: tzinfo,
) -> dict[str, Any]:
    """The case-bundle ``av_record`` form (without ``id``) of files stored as ``sha256``.

    File names and metadata give starts to the second while durations are fractional, so
    a segment may run a fraction into the next; its end is then cut to the next start (the
    exact duration stays in the file's probe facts). ``group`` already split off larger
    overlaps, which only a wrong clock produces.
    """
    forms = []
    for cand, sha256 in stored:
        assert cand.start is not None and cand.end is not None
        forms.append(
            {"start": cand.start, "end": cand.end, "sha256": sha256, "file_name": cand.name}
        )
    segments = segment_forms(forms, tz)
    return {
        "device_id": device_id,
        "officer_id": officer_id,
        "segments": segments,
        "stored_at": stored_at.astimezone(tz).isoformat(),
        "custodian": custodian,
        "precheck": None,
        "opening_statement": None,
        "interruptions": [],
        "evidence": None,
        "retention": None,
    }


def segment_forms(segments: Sequence[Mapping[str, Any]], tz: tzinfo) -> list[dict[str, Any]]:
    """Segments (``start``/``end`` as datetimes or ISO text, ``sha256``, ``file_name``) in
    start order, each end cut to the next start where it runs a fraction into it."""

    def moment(value: Any) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    ordered = sorted(segments, key=lambda s: (moment(s["start"]), moment(s["end"])))
    out = []
    for i, seg in enumerate(ordered):
        start, end = moment(seg["start"]), moment(seg["end"])
        following = moment(ordered[i + 1]["start"]) if i + 1 < len(ordered) else None
        if following is not None and start <= following < end:
            end = following
        out.append(
            {
                "start": start.astimezone(tz).isoformat(),
                "end": end.astimezone(tz).isoformat(),
                "sha256": seg["sha256"],
                "file_name": seg["file_name"],
            }
        )
    return out


def title(cands: Sequence[Candidate], tz: tzinfo) -> str:
    """``设备 DSJ-V9-0001 2026-11-20 09:30 起的视频（3 段）``."""
    first = min(cands, key=lambda c: c.start or datetime.max.replace(tzinfo=tz))
    assert first.start is not None
    return recording_title(first.kind, first.device, first.start, len(cands), tz)


def recording_title(
    kind: str | None, device: str | None, start: datetime, count: int, tz: tzinfo
) -> str:
    label = KIND_LABELS.get(kind or "", "音像")
    who = f"设备 {device} " if device else ""
    many = f"（{count} 段）" if count > 1 else ""
    return f"{who}{start.astimezone(tz):%Y-%m-%d %H:%M} 起的{label}{many}"
