"""Body-camera file names, and where a recording's start time comes from.

File naming is vendor-specific, so patterns are data: each ``NamePattern`` is a named
regular expression whose groups say what the name holds (``device`` serial, ``officer``
number, ``start``/``end`` as 14 digits or ``date`` + ``time``, ``segment`` index). An
agency adds its own with ``load_patterns``; they are tried before the shipped ones.

``resolve_start`` picks the start time from, in order, the docking-station manifest, the
device's container metadata, the file name, the officer's own entry, and always says which
(``source``). Candidates that are implausible (before 2000, in the future) are dropped,
and candidates that disagree are reported, with a hint when they differ by whole hours
(a device writing local time into a UTC field is a common field problem).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from liuhen.errors import InvalidInput

GROUPS = frozenset({"device", "officer", "start", "end", "date", "time", "segment"})
EXTENSIONS = "mp4|mov|m4a|3gp|avi|mkv|ts|wav|mp3|aac|amr|jpg|jpeg|png"
_EXT = rf"\.(?i:{EXTENSIONS})$"
TIME_SOURCES: dict[str, str] = {
    "manifest": "采集站清单",
    "device_metadata": "设备元数据",
    "file_name": "文件名",
    "officer": "执法人员填报",
}
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_NAME = 255


def _pattern_problems(name: str, pattern: str, example: str) -> list[str]:
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", name or ""):
        return ["name: 规则名应为小写字母开头的字母、数字或下划线"]
    try:
        regex = re.compile(pattern)
    except (re.error, TypeError) as exc:
        return [f"regex: 正则表达式无效（{exc}）"]
    groups = set(regex.groupindex)
    problems = []
    if not groups:
        problems.append(f"regex: 没有命名分组，应至少有 {', '.join(sorted(GROUPS))} 之一")
    if groups - GROUPS:
        problems.append(
            f"regex: 未知的分组 {', '.join(sorted(groups - GROUPS))}，可用：{', '.join(sorted(GROUPS))}"
        )
    if ("date" in groups) != ("time" in groups):
        problems.append("regex: date 与 time 分组须同时出现")
    if example and not regex.search(example):
        problems.append(f"example: 示例 {example!r} 与正则表达式不匹配")
    return problems


@dataclass(frozen=True)
class NamePattern:
    name: str
    vendor: str
    regex: re.Pattern[str]
    example: str = ""

    @classmethod
    def compile(cls, name: str, vendor: str, pattern: str, example: str = "") -> NamePattern:
        problems = _pattern_problems(name, pattern, example)
        if problems:
            raise InvalidInput(f"文件名规则 {name!r} 有误", details=problems)
        return cls(name, vendor, re.compile(pattern), example)


@dataclass(frozen=True)
class NameMatch:
    pattern: str
    vendor: str
    device: str | None = None
    officer: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    segment: int | None = None
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = {
            "pattern": self.pattern,
            "vendor": self.vendor,
            "device": self.device,
            "officer": self.officer,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "segment": self.segment,
            "problem": self.problem,
        }
        return {k: v for k, v in data.items() if v not in (None, "")}


DEFAULT_PATTERNS: tuple[NamePattern, ...] = (
    NamePattern.compile(
        "serial_start",
        "执法记录仪：设备编号_开始时间[_段号]",
        rf"^(?P<device>[A-Za-z]{{2,8}}(?:-[A-Za-z0-9]+)+)_(?P<start>\d{{14}})(?:_(?P<segment>\d{{1,4}}))?{_EXT}",
        "DSJ-V9-0001_20261120093000.mp4",
    ),
    NamePattern.compile(
        "date_time_segment_officer",
        "采集站导出：日期_时间_段号_警号",
        rf"^(?P<date>\d{{8}})_(?P<time>\d{{6}})_(?P<segment>\d{{4}})_(?P<officer>\d{{6,20}}){_EXT}",
        "20261120_093000_0001_14010020230001.MP4",
    ),
    NamePattern.compile(
        "serial_officer_start_end",
        "执法记录仪：设备编号_警号_开始时间_结束时间",
        rf"^(?P<device>[A-Za-z0-9]{{4,20}})_(?P<officer>\d{{4,20}})_(?P<start>\d{{14}})_(?P<end>\d{{14}}){_EXT}",
        "DSJ00123_000456_20261120093000_20261120100000.mp4",
    ),
    NamePattern.compile(
        "terminal_date_time",
        "手持执法终端/手机：IMG_、VID_、AUD_ 日期_时间",
        rf"^(?:IMG|VID|AUD|REC)_(?P<date>\d{{8}})_(?P<time>\d{{6}})(?:_(?P<segment>\d{{1,4}}))?{_EXT}",
        "IMG_20261120_093512.jpg",
    ),
    NamePattern.compile(
        "recorder_start",
        "录音笔：REC开始时间",
        rf"^REC(?P<start>\d{{14}}){_EXT}",
        "REC20261120093000.WAV",
    ),
    NamePattern.compile(
        "camera_counter",
        "照相机：IMG_/DSC_ 序号（无时间）",
        rf"^(?:IMG|DSC|DSCN|DCIM)_?(?P<segment>\d{{3,6}}){_EXT}",
        "IMG_0001.JPG",
    ),
)


def load_patterns(
    entries: Sequence[Mapping[str, Any]], *, include_defaults: bool = True
) -> tuple[NamePattern, ...]:
    """Patterns from configuration (``[{name, vendor, regex, example}]``), checked together.

    Every problem is reported with its place (``patterns[2].regex: …``); the agency's
    patterns come first, so they win over the shipped ones.
    """
    problems: list[str] = []
    loaded: list[NamePattern] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            problems.append(f"patterns[{i}]: 应为含 name、regex 的对象")
            continue
        name, regex = str(entry.get("name", "")), entry.get("regex")
        example = str(entry.get("example", ""))
        if not isinstance(regex, str) or not regex:
            found = ["regex: 缺少正则表达式"]
        else:
            found = _pattern_problems(name, regex, example)
        problems += [f"patterns[{i}].{p}" for p in found]
        if not found:
            loaded.append(
                NamePattern(name, str(entry.get("vendor", name)), re.compile(str(regex)), example)
            )
    if problems:
        raise InvalidInput("文件名规则配置有误", details=problems)
    return tuple(loaded) + (DEFAULT_PATTERNS if include_defaults else ())


def parse_name(
    name: str, patterns: Sequence[NamePattern] = DEFAULT_PATTERNS, *, tz: tzinfo
) -> NameMatch | None:
    """What the first matching pattern reads from ``name`` (a base name), or None."""
    for pattern in patterns:
        m = pattern.regex.search(name)
        if m is None:
            continue
        groups = {k: v for k, v in m.groupdict().items() if v}
        problems = []
        start_digits = groups.get("start") or (
            groups["date"] + groups["time"] if "date" in groups and "time" in groups else None
        )
        start = parse_digits(start_digits, tz) if start_digits else None
        if start_digits and start is None:
            problems.append(f"文件名中的开始时间 {start_digits} 不是有效日期时间")
        end = parse_digits(groups["end"], tz) if "end" in groups else None
        if "end" in groups and end is None:
            problems.append(f"文件名中的结束时间 {groups['end']} 不是有效日期时间")
        segment = groups.get("segment")
        return NameMatch(
            pattern=pattern.name,
            vendor=pattern.vendor,
            device=groups.get("device"),
            officer=groups.get("officer"),
            start=start,
            end=end,
            segment=int(segment) if segment and segment.isdigit() else None,
            problem="；".join(problems),
        )
    return None


def parse_digits(digits: str, tz: tzinfo) -> datetime | None:
    """``YYYYMMDDhhmmss`` in local time ``tz``; None if it is not a real moment."""
    digits = re.sub(r"\D", "", digits)
    if len(digits) != 14:
        return None
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=tz)
    except ValueError:
        return None


def parse_media_time(raw: str, tz: tzinfo) -> datetime | None:
    """An ISO-like time from metadata or a manifest; a time without zone is local (``tz``)."""
    text = raw.strip().replace("/", "-")
    if not text:
        return None
    if re.fullmatch(r"\d{14}", text):
        return parse_digits(text, tz)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


@dataclass(frozen=True)
class ResolvedStart:
    """The chosen start time, where it came from, every candidate and every doubt."""

    start: datetime | None
    source: str | None
    candidates: Mapping[str, datetime]
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "source": self.source,
            "source_label": TIME_SOURCES.get(self.source or "", ""),
            "candidates": {k: v.isoformat() for k, v in self.candidates.items()},
            "warnings": list(self.warnings),
        }


FUTURE_SLACK = timedelta(minutes=5)
"""How far after the moment it is stored footage may say it began (a device clock a little
fast); a later start is not believed."""


def resolve_start(
    candidates: Mapping[str, datetime | None],
    *,
    now: datetime,
    agree_within: timedelta = timedelta(seconds=5),
    future_slack: timedelta = FUTURE_SLACK,
) -> ResolvedStart:
    """Pick the first plausible candidate in ``TIME_SOURCES`` order; report disagreements."""
    unknown = set(candidates) - set(TIME_SOURCES)
    if unknown:
        raise ValueError(f"unknown time sources {sorted(unknown)}")
    warnings: list[str] = []
    kept: dict[str, datetime] = {}
    for source in TIME_SOURCES:
        moment = candidates.get(source)
        if moment is None:
            continue
        if moment.tzinfo is None:
            raise ValueError(f"{source}: naive datetime")
        if moment < EARLIEST or moment > now + future_slack:
            warnings.append(
                f"{TIME_SOURCES[source]}时间 {moment.isoformat()} 不可信（早于 2000 年或晚于当前时间）："
                "设备时钟可能未校准，未采用"
            )
            continue
        kept[source] = moment
    if not kept:
        return ResolvedStart(None, None, kept, tuple(warnings))
    source, start = next(iter(kept.items()))
    for other, moment in kept.items():
        diff = moment - start
        if other != source and abs(diff) > agree_within:
            warnings.append(
                f"{TIME_SOURCES[other]}时间（{moment.isoformat()}）与采用的{TIME_SOURCES[source]}时间"
                f"相差 {describe_span(abs(diff))}{_whole_hours_hint(abs(diff))}"
            )
    return ResolvedStart(start, source, kept, tuple(warnings))


def _whole_hours_hint(diff: timedelta) -> str:
    seconds = diff.total_seconds()
    hours = round(seconds / 3600)
    if 1 <= hours <= 14 and abs(seconds - hours * 3600) <= 2:
        return "（整小时差，疑似设备时区设置有误，如把北京时间当作 UTC 写入）"
    return ""


def describe_span(span: timedelta) -> str:
    """``1小时2分3秒`` style, for messages."""
    total = round(span.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}小时" if hours else "", f"{minutes}分" if minutes else ""]
    parts.append(f"{seconds}秒" if seconds or not (hours or minutes) else "")
    return "".join(parts)


_BIDI = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}


def safe_name(name: str) -> str:
    """A file name fit for storing and showing: control and direction characters escaped,
    undecodable bytes (surrogate-escaped by the OS layer) shown as ``\\xNN``, at most 255."""
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif unicodedata.category(ch) in ("Cc", "Cs") or code in _BIDI:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    text = "".join(out)
    if len(text) > MAX_NAME:
        _stem, dot, ext = text.rpartition(".")
        keep = MAX_NAME - len(ext) - 2 if dot and len(ext) <= 10 else MAX_NAME - 1
        text = text[:keep] + "…" + (f".{ext}" if dot and len(ext) <= 10 else "")
    return text
