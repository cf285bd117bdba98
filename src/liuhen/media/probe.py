"""What a media file is, read with PyAV and checked rather than believed.

``probe(path)`` never raises for bad media: it returns a ``Probe`` whose ``problem`` is
``empty``, ``not_media``, ``unsupported`` or ``damaged`` with a Chinese ``reason``. Three
independent checks keep FFmpeg's guesses honest:

- the file's first bytes must be a known signature (FFmpeg happily reads a text file as
  "ANSI art" video), and the container FFmpeg finds must be the one the bytes announce;
- its structure must be whole (``signatures.structure_problem``): an MP4 with its index
  and no top-level box running past the end of the file (a copy cut short), a JPEG with
  its end marker;
- the first frame of each stream must decode, and the packets near the end must be intact
  and reach the duration the header claims.

The file is opened as a Python file object, so a name such as ``pipe:1`` or
``http://...`` is never taken for an FFmpeg protocol.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import av
import av.error

from liuhen.media.naming import parse_media_time
from liuhen.media.signatures import FAMILIES, PHOTO_FAMILIES, media_type, sniff, structure_problem

KINDS = {"video": "视频", "audio": "音频", "photo": "照片"}
PROBLEMS = {
    "empty": "空文件",
    "not_media": "不是音视频或图片",
    "unsupported": "格式不受支持",
    "damaged": "文件不完整或已损坏",
}

TAIL_SECONDS = 10.0
MAX_TAGS, MAX_TAG_LEN = 60, 300
DEVICE_KEYS = ("make", "model", "serial", "device", "manufacturer", "camera", "officer", "police")
SERIAL_KEYS = (
    "serial_number",
    "serialnumber",
    "serial",
    "device_sn",
    "device_serial",
    "com.apple.quicktime.serialnumber",
    "body_serial_number",
)


@dataclass(frozen=True)
class StreamInfo:
    type: str
    codec: str
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    sample_rate: int | None = None
    channels: int | None = None


@dataclass(frozen=True)
class Probe:
    """The facts about one file, or why it was refused (``problem`` and ``reason``)."""

    size: int
    kind: str | None = None
    problem: str | None = None
    reason: str = ""
    family: str | None = None
    container: str = ""
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    creation_time: datetime | None = None
    creation_time_raw: str = ""
    device_serial: str | None = None
    device_fields: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    streams: tuple[StreamInfo, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def media_type(self) -> str:
        """The MIME type for storing and serving the original as received."""
        return media_type(self.family, self.kind)

    def as_dict(self) -> dict[str, Any]:
        """JSON without floats (the ledger's canonical form refuses them): durations in
        milliseconds, frame rates as text."""
        data = _no_floats(asdict(self))
        data["creation_time"] = self.creation_time.isoformat() if self.creation_time else None
        data["streams"] = [{k: v for k, v in s.items() if v is not None} for s in data["streams"]]
        return {k: v for k, v in data.items() if v not in (None, "", {}, [])}


def _no_floats(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = _no_floats(value)
        elif isinstance(value, list | tuple):
            value = [_no_floats(v) if isinstance(v, dict) else v for v in value]
        if key == "duration" and isinstance(value, float):
            out["duration_ms"] = round(value * 1000)
        elif isinstance(value, float):
            out[key] = f"{value:g}"
        else:
            out[key] = value
    return out


Opener = Callable[[Path], tuple[int, BinaryIO]]
"""A file that is not on this disk (an upload staged in object storage): its size and a
seekable reader."""


def probe(path: Path, *, tz: tzinfo | None = None, opener: Opener | None = None) -> Probe:
    """Read and check ``path`` (through ``opener`` when given). ``OSError`` if it cannot be
    read at all."""
    size, f = opener(path) if opener else (os.stat(path).st_size, open(path, "rb"))  # noqa: SIM115
    if size == 0:
        f.close()
        return _refuse(size, "empty", "空文件（0 字节）：可能拷贝失败，请从设备或采集站重新拷贝")
    with f:
        head = f.read(4096)
        family = sniff(head)
        if family is None:
            return _refuse(
                size,
                "not_media",
                "不是音视频或图片文件（文件头不属于任何支持的格式）：请确认选择的是记录设备产生的原始文件",
            )
        broken = structure_problem(f, family, size)
        if broken:
            return _refuse(size, "damaged", _damaged(broken), family)
        f.seek(0)
        try:
            return _read(f, size, family, tz or ZoneInfo("Asia/Shanghai"))
        except (av.error.FFmpegError, ValueError, IndexError) as exc:
            return _refuse(size, "damaged", _damaged(f"无法读取：{_short(exc)}"), family)


def _refuse(size: int, problem: str, reason: str, family: str | None = None) -> Probe:
    return Probe(size=size, problem=problem, reason=reason, family=family)


def _damaged(detail: str) -> str:
    return f"文件不完整或已损坏（{detail}）：可能拷贝中断，请从设备或采集站重新拷贝原始文件"


def _short(exc: BaseException) -> str:
    text = str(exc).split(":", 1)[-1].strip() if isinstance(exc, av.error.FFmpegError) else ""
    return text or exc.__class__.__name__


def _read(f: BinaryIO, size: int, family: str, tz: tzinfo) -> Probe:
    with av.open(f, mode="r") as container:
        fmt = container.format.name
        if fmt not in FAMILIES[family]:
            return _refuse(
                size,
                "unsupported",
                f"文件头为 {family} 格式，但读出的是 {fmt}：格式不受支持",
                family,
            )
        streams = [
            s
            for s in container.streams
            if s.type in ("video", "audio") and not (s.type == "video" and _is_cover(s))
        ]
        if not streams:
            return _refuse(size, "not_media", "文件中没有音频或视频内容", family)
        kind = _kind(family, streams)
        infos = tuple(_stream_info(s) for s in streams)
        declared = container.duration / 1_000_000 if container.duration else None
        problem = _decode_problem(container, streams)
        if problem is None and kind != "photo":
            problem, reached = _tail_problem(container, streams, declared)
            declared = declared or reached
        if problem:
            return _refuse(size, "damaged", _damaged(problem), family)
        tags = _tags(container.metadata, *(s.metadata for s in streams))
        raw_time = tags.get("creation_time", "")
        created = parse_media_time(raw_time, tz) if raw_time else None
        if kind == "photo":
            created, raw_time, exif = _photo_exif(f, tz)
            tags.update(exif)
        video = next((i for i in infos if i.type == "video"), None)
        audio = next((i for i in infos if i.type == "audio"), None)
        return Probe(
            size=size,
            kind=kind,
            family=family,
            container=fmt,
            duration=None if kind == "photo" else declared,
            width=video.width if video else None,
            height=video.height if video else None,
            frame_rate=video.frame_rate if video and kind == "video" else None,
            video_codec=video.codec if video else None,
            audio_codec=audio.codec if audio else None,
            creation_time=created,
            creation_time_raw=raw_time,
            device_serial=next((tags[k] for k in SERIAL_KEYS if tags.get(k)), None),
            device_fields={k: v for k, v in tags.items() if any(d in k for d in DEVICE_KEYS)},
            metadata=tags,
            streams=infos,
        )


def _is_cover(stream: Any) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _kind(family: str, streams: list[Any]) -> str:
    if family in PHOTO_FAMILIES:
        return "photo"
    return "video" if any(s.type == "video" for s in streams) else "audio"


def _stream_info(stream: Any) -> StreamInfo:
    duration = float(stream.duration * stream.time_base) if stream.duration else None
    ctx = stream.codec_context
    if stream.type == "video":
        rate = stream.average_rate or stream.guessed_rate
        return StreamInfo(
            "video",
            ctx.name,
            duration,
            width=ctx.width,
            height=ctx.height,
            frame_rate=round(float(rate), 3) if rate else None,
        )
    return StreamInfo(
        "audio", ctx.name, duration, sample_rate=ctx.sample_rate, channels=ctx.channels
    )


def _decode_problem(container: Any, streams: list[Any]) -> str | None:
    """Decode until every stream has given one frame (within the first few hundred packets)."""
    waiting = {s.index for s in streams}
    for count, packet in enumerate(container.demux(*streams)):
        if count > 600 or not waiting:
            break
        if packet.stream.index not in waiting:
            continue
        if packet.is_corrupt:
            return f"第 {count + 1} 个数据包损坏"
        if packet.size == 0:
            continue
        try:
            if packet.decode():
                waiting.discard(packet.stream.index)
        except av.error.FFmpegError as exc:
            return f"{packet.stream.type} 无法解码：{_short(exc)}"
    for stream in streams:
        if stream.index in waiting:
            try:
                if stream.codec_context.decode(None):
                    waiting.discard(stream.index)
            except av.error.FFmpegError:
                pass
    if waiting:
        return "开头的画面或声音无法解码"
    return None


def _tail_problem(
    container: Any, streams: list[Any], declared: float | None
) -> tuple[str | None, float | None]:
    """Demux the last seconds: packets must be whole and reach the declared duration."""
    if declared and declared > TAIL_SECONDS:
        container.seek(int((declared - TAIL_SECONDS) * 1_000_000), backward=True)
    else:
        container.seek(0)
    reached = 0.0
    for packet in _packets(container, streams):
        if packet.is_corrupt:
            t = float(packet.pts * packet.time_base) if packet.pts is not None else reached
            return f"在约 {t:.1f} 秒处数据不完整", None
        if packet.pts is not None and packet.time_base:
            end = packet.pts + (packet.duration or 0)
            reached = max(reached, float(end * packet.time_base) - _start(packet.stream))
    if declared:
        slack = max(1.0, declared * 0.02)
        if reached + slack < declared:
            return f"数据在约 {reached:.1f} 秒处中断，文件头标称 {declared:.1f} 秒", None
    return None, reached or None


def _packets(container: Any, streams: list[Any]) -> Iterator[Any]:
    for packet in container.demux(*streams):
        if packet.size:
            yield packet


def _start(stream: Any) -> float:
    return float(stream.start_time * stream.time_base) if stream.start_time else 0.0


def _tags(*sources: Any) -> dict[str, str]:
    """Container tags first, then stream tags not already present; bounded in size."""
    tags: dict[str, str] = {}
    for source in sources:
        for key, value in dict(source).items():
            k = str(key).strip().lower()[:80]
            if k and k not in tags and len(tags) < MAX_TAGS:
                tags[k] = str(value).replace("\x00", "").strip()[:MAX_TAG_LEN]
    return tags


def _photo_exif(f: BinaryIO, tz: tzinfo) -> tuple[datetime | None, str, dict[str, str]]:
    """Capture time and camera fields from EXIF (Pillow reads them without decoding)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with WeasyPrint
        return None, "", {}
    f.seek(0)
    try:
        with Image.open(f) as image:
            exif = image.getexif()
            sub = exif.get_ifd(0x8769)
    except (OSError, ValueError, SyntaxError):
        return None, "", {}
    fields = {
        name: _exif_text(value)
        for name, value in (
            ("make", exif.get(0x010F)),
            ("model", exif.get(0x0110)),
            ("body_serial_number", sub.get(0xA431)),
            ("exif_datetime_original", sub.get(0x9003) or exif.get(0x0132)),
            ("exif_offset_time_original", sub.get(0x9011)),
        )
        if value
    }
    raw = fields.get("exif_datetime_original", "")
    offset = fields.get("exif_offset_time_original", "")
    when = parse_media_time(raw.replace(":", "-", 2) + offset, tz) if raw else None
    return when, raw, fields


def _exif_text(value: Any) -> str:
    """EXIF ASCII fields often hold UTF-8 or GBK bytes that Pillow reads as Latin-1."""
    raw = value if isinstance(value, bytes) else str(value).encode("latin-1", "replace")
    if isinstance(value, str) and any(ord(ch) > 255 for ch in value):
        return value.strip("\x00 ")[:MAX_TAG_LEN]
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding).strip("\x00 ")[:MAX_TAG_LEN]
        except UnicodeDecodeError:
            continue
    return str(value).strip("\x00 ")[:MAX_TAG_LEN]
