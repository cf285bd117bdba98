"""Examining incoming files before anything is stored: what, whose, when, and is it whole.

``examine`` probes one file and decides its device, officer and start time, keeping for
each where it came from; ``list_files`` walks a docking-station folder in a stable order.
Nothing here touches the store, so a refused file leaves no trace but its report line.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from liuhen.media.manifest import ManifestEntry
from liuhen.media.naming import (
    DEFAULT_PATTERNS,
    TIME_SOURCES,
    NameMatch,
    NamePattern,
    ResolvedStart,
    describe_span,
    parse_name,
    resolve_start,
    safe_name,
)
from liuhen.media.probe import Opener, Probe, probe

AGREE = timedelta(seconds=5)


@dataclass(frozen=True)
class Candidate:
    """One examined file: accepted (``problem`` None) with its facts, or refused with why."""

    path: Path
    name: str
    """The base name as stored and shown (control characters escaped, see ``safe_name``)."""
    size: int
    problem: str | None = None
    reason: str = ""
    probe: Probe | None = None
    time: ResolvedStart | None = None
    end: datetime | None = None
    device: str | None = None
    device_source: str | None = None
    officer: str | None = None
    officer_source: str | None = None
    name_match: NameMatch | None = None
    manifest: ManifestEntry | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def start(self) -> datetime | None:
        return self.time.start if self.time else None

    @property
    def kind(self) -> str | None:
        """``video``, ``audio`` or ``photo`` once probed."""
        return self.probe.kind if self.probe else None

    @property
    def media_type(self) -> str:
        return self.probe.media_type if self.probe else "application/octet-stream"

    def details(self) -> dict[str, Any]:
        """What a stored segment keeps about where its facts came from."""
        assert self.probe is not None and self.time is not None
        data: dict[str, Any] = {
            "original_name": self.name,
            "size": self.size,
            "media_kind": self.probe.kind,
            "probe": self.probe.as_dict(),
            "time_source": self.time.source,
            "time": self.time.as_dict(),
            "device_serial": self.device,
            "device_source": self.device_source,
            "officer_number": self.officer,
            "officer_source": self.officer_source,
            "warnings": list(self.warnings),
        }
        if self.name_match:
            data["name_pattern"] = self.name_match.as_dict()
        if self.manifest:
            data["manifest"] = self.manifest.as_dict()
        return {k: v for k, v in data.items() if v not in (None, [], {})}


def list_files(directory: Path, *, skip: Sequence[Path] = ()) -> Iterator[Path]:
    """Every regular file under ``directory``, sorted, without following directory links."""
    skipped = {os.path.realpath(p) for p in skip}
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if os.path.realpath(path) in skipped:
                continue
            try:
                if stat.S_ISREG(os.stat(path).st_mode):
                    yield path
            except OSError:
                yield path


def escapes(path: Path, root: Path) -> bool:
    """``path`` resolves (through symbolic links) to somewhere outside ``root``."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return os.path.commonpath([real_root, real]) != real_root


def outside(path: Path, root: Path) -> Candidate:
    """The refusal of a file that is a link out of the imported folder (never read)."""
    name = safe_name(os.fsdecode(path.name))
    return Candidate(
        path,
        name,
        0,
        "outside_folder",
        f"是指向导入目录 {root} 之外的符号链接（{safe_name(os.path.realpath(path))}）：未读取、未存储",
    )


def examine(
    path: Path,
    *,
    now: datetime,
    tz: tzinfo,
    device: str | None = None,
    officer: str | None = None,
    manifest: Mapping[str, ManifestEntry] | None = None,
    patterns: Sequence[NamePattern] = DEFAULT_PATTERNS,
    officer_start: datetime | None = None,
    opener: Opener | None = None,
) -> Candidate:
    """Probe ``path`` and resolve its facts; ``device``/``officer`` are the operator's word."""
    name = safe_name(os.fsdecode(path.name))
    try:
        facts = probe(path, tz=tz, opener=opener)
    except OSError as exc:
        return Candidate(path, name, 0, "unreadable", f"无法读取文件：{exc.strerror or exc}")
    if not facts.ok:
        return Candidate(path, name, facts.size, facts.problem, facts.reason, probe=facts)
    match = parse_name(path.name, patterns, tz=tz)
    entry = (manifest or {}).get(path.name)
    warnings: list[str] = []
    if name != os.fsdecode(path.name):
        warnings.append(f"文件名含控制字符或无法识别的编码，已转义保存为 {name}")
    if match and match.problem:
        warnings.append(match.problem)
    time = _start_time(entry, facts, match, officer_start, now)
    warnings += time.warnings
    refused = _Refusal(path, name, facts, match, entry)
    if time.start is None:
        return refused("no_time", NO_TIME, time, warnings)
    start = time.start.astimezone(tz)
    time = replace(time, start=start)
    end = start + timedelta(seconds=facts.duration or 0)
    if end > now:
        return refused("future", _future_reason(time, end, now, tz), time, warnings)
    warnings += _end_disagreements(entry, match, end)
    dev, dev_source, off, off_source = _whose(entry, match, facts, device, officer, warnings)
    return Candidate(
        path,
        name,
        facts.size,
        probe=facts,
        time=time,
        end=end,
        device=dev,
        device_source=dev_source,
        officer=off,
        officer_source=off_source,
        name_match=match,
        manifest=entry,
        warnings=tuple(warnings),
    )


def _whose(
    entry: ManifestEntry | None,
    match: NameMatch | None,
    facts: Probe,
    device: str | None,
    officer: str | None,
    warnings: list[str],
) -> tuple[str | None, str | None, str | None, str | None]:
    """Device and officer numbers with their sources, the first given winning: manifest,
    operator, file name (and, for the device, its metadata); disagreements are warnings."""
    dev, dev_source = _first(
        ("manifest", entry.device if entry else None),
        ("operator", device),
        ("file_name", match.device if match else None),
        ("device_metadata", facts.device_serial),
        warnings=warnings,
        label="设备编号",
    )
    off, off_source = _first(
        ("manifest", entry.officer if entry else None),
        ("operator", officer),
        ("file_name", match.officer if match else None),
        warnings=warnings,
        label="执法人员编号",
    )
    return dev, dev_source, off, off_source


def _start_time(
    entry: ManifestEntry | None,
    facts: Probe,
    match: NameMatch | None,
    officer_start: datetime | None,
    now: datetime,
) -> ResolvedStart:
    """The recording's start from the sources that give one (see ``resolve_start``)."""
    return resolve_start(
        {
            "manifest": entry.start if entry else None,
            "device_metadata": facts.creation_time,
            "file_name": match.start if match else None,
            "officer": officer_start,
        },
        now=now,
        agree_within=AGREE,
    )


NO_TIME = (
    "无法确定录制开始时间（采集站清单、设备元数据、文件名中都没有可信的时间）："
    "请在采集站清单中填写开始时间后重新导入"
)


@dataclass(frozen=True)
class _Refusal:
    """A probed file refused for its time, with what was learnt about it so far."""

    path: Path
    name: str
    facts: Probe
    match: NameMatch | None
    entry: ManifestEntry | None

    def __call__(
        self, problem: str, reason: str, time: ResolvedStart, warnings: list[str]
    ) -> Candidate:
        return Candidate(
            self.path,
            self.name,
            self.facts.size,
            problem,
            reason,
            probe=self.facts,
            time=time,
            name_match=self.match,
            manifest=self.entry,
            warnings=tuple(warnings),
        )


def _future_reason(time: ResolvedStart, end: datetime, now: datetime, tz: tzinfo) -> str:
    return (
        f"录制结束时间（{end.isoformat()}，来源：{TIME_SOURCES[time.source or '']}）"
        f"晚于现在（{now.astimezone(tz).isoformat()}）：设备时钟可能不准，"
        "请核对后在采集站清单中填写正确的开始时间再导入"
    )


def _end_disagreements(
    entry: ManifestEntry | None, match: NameMatch | None, end: datetime
) -> list[str]:
    """Warnings for a manifest or file-name end time that is not start plus duration."""
    warnings: list[str] = []
    for label, claimed in (
        ("采集站清单", entry.end if entry else None),
        ("文件名", match.end if match else None),
    ):
        if claimed is not None and abs(claimed - end) > AGREE:
            warnings.append(
                f"{label}的结束时间（{claimed.isoformat()}）与开始时间加实际时长（{end.isoformat()}）"
                f"相差 {describe_span(abs(claimed - end))}"
            )
    return warnings


_SOURCE_LABELS = {
    "manifest": "采集站清单",
    "operator": "导入时指定",
    "file_name": "文件名",
    "device_metadata": "设备元数据",
}


def _first(
    *options: tuple[str, str | None], warnings: list[str], label: str
) -> tuple[str | None, str | None]:
    """The first given value and its source; a later source that disagrees is a warning."""
    given = [(source, value.strip()) for source, value in options if value and value.strip()]
    if not given:
        return None, None
    source, value = given[0]
    for other, v in given[1:]:
        if v != value:
            warnings.append(
                f"{_SOURCE_LABELS[other]}中的{label} {v} 与采用的{_SOURCE_LABELS[source]}中的 {value} 不一致"
            )
    return value, source
