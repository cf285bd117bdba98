"""Docking-station manifests (采集站清单): what the station says about each file it copied.

A station tags every file with the device, the officer and the times it read from the
device; its manifest wins over file names (ecosystem-china §7). Accepted forms: JSON (a
list of objects, or ``{"files": [...]}``) and CSV with a header row, in UTF-8 (with or
without BOM) or GB18030, as Chinese Windows software writes it. Column names may be
English or Chinese (``文件名``, ``开始时间``, ``设备编号``, ``警号`` …). Times without a
zone are local time.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path, PureWindowsPath
from typing import Any

from liuhen.errors import InvalidInput
from liuhen.media.naming import parse_media_time

ALIASES: dict[str, tuple[str, ...]] = {
    "file_name": (
        "file_name",
        "filename",
        "file",
        "name",
        "path",
        "文件名",
        "文件名称",
        "文件路径",
    ),
    "start": ("start", "start_time", "begin_time", "开始时间", "录制开始时间", "拍摄时间"),
    "end": ("end", "end_time", "结束时间", "录制结束时间"),
    "device": ("device", "device_id", "device_serial", "serial", "设备编号", "设备序列号"),
    "officer": ("officer", "officer_id", "police_no", "certificate_no", "警号", "执法证号"),
    "sha256": ("sha256", "hash", "校验值", "sha256校验值"),
    "collected_at": ("collected_at", "collect_time", "import_time", "采集时间", "导入时间"),
}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ManifestEntry:
    file_name: str
    where: str
    """``manifest.csv:7`` — for messages."""
    start: datetime | None = None
    end: datetime | None = None
    device: str | None = None
    officer: str | None = None
    sha256: str | None = None
    collected_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {
            "where": self.where,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "device": self.device,
            "officer": self.officer,
            "sha256": self.sha256,
            "collected_at": self.collected_at.isoformat() if self.collected_at else None,
        }
        return {k: v for k, v in data.items() if v}


def load_manifest(path: Path, *, tz: tzinfo) -> dict[str, ManifestEntry]:
    """Entries by base file name; ``InvalidInput`` listing every bad row."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"--manifest: 无法读取清单 {path}（{exc.strerror}）") from None
    text = _decode(raw, path)
    rows = _json_rows(text, path) if text.lstrip().startswith(("[", "{")) else _csv_rows(text)
    entries: dict[str, ManifestEntry] = {}
    problems: list[str] = []
    for line, row in rows:
        where = f"{Path(path).name}:{line}"
        entry, found = _entry(row, where, tz)
        problems += found
        if entry is None:
            continue
        if entry.file_name in entries:
            problems.append(f"{where}: 文件 {entry.file_name} 在清单中重复出现")
            continue
        entries[entry.file_name] = entry
    if problems:
        raise InvalidInput(f"采集站清单 {path} 有误", details=problems)
    return entries


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"--manifest: 清单 {path} 既不是 UTF-8 也不是 GB18030 文本")


def _json_rows(text: str, path: Path) -> list[tuple[int, Mapping[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--manifest: 清单 {path} 不是有效的 JSON（{exc}）") from None
    items = data.get("files") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidInput(f"--manifest: 清单 {path} 应为对象列表，或含 files 列表的对象")
    return [(i + 1, item) for i, item in enumerate(items)]


def _csv_rows(text: str) -> list[tuple[int, Mapping[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    return [(reader.line_num, row) for row in reader]


def _field(row: Mapping[str, Any], name: str) -> str:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    for alias in ALIASES[name]:
        value = lowered.get(alias.lower())
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _entry(
    row: Mapping[str, Any], where: str, tz: tzinfo
) -> tuple[ManifestEntry | None, list[str]]:
    problems = []
    name = _field(row, "file_name")
    if not name:
        return None, [f"{where}: 缺少文件名"]
    base = PureWindowsPath(name).name if "\\" in name else Path(name).name
    times: dict[str, datetime | None] = {}
    for key in ("start", "end", "collected_at"):
        text = _field(row, key)
        times[key] = parse_media_time(text, tz) if text else None
        if text and times[key] is None:
            problems.append(f"{where}: {key} {text!r} 不是有效的时间")
    sha = _field(row, "sha256").lower()
    if sha and not _SHA256.fullmatch(sha):
        problems.append(f"{where}: sha256 应为 64 位十六进制字符")
    entry = ManifestEntry(
        file_name=base,
        where=where,
        start=times["start"],
        end=times["end"],
        device=_field(row, "device") or None,
        officer=_field(row, "officer") or None,
        sha256=sha or None,
        collected_at=times["collected_at"],
    )
    return entry, problems
