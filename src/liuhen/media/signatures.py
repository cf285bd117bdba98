"""What a file is by its bytes, before FFmpeg is asked: signatures and container structure.

``sniff`` names the family from the first bytes; ``structure_problem`` walks what can be
checked without decoding: the top-level boxes of an ISO-BMFF file (MP4/MOV/M4A) must each
fit in the file and include the index (``moov``); a JPEG must end with its EOI marker, a
PNG with its IEND chunk.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

# Signature family -> FFmpeg demuxer names that may read it.
FAMILIES: dict[str, frozenset[str]] = {
    "iso_bmff": frozenset({"mov,mp4,m4a,3gp,3g2,mj2"}),
    "wav": frozenset({"wav"}),
    "avi": frozenset({"avi"}),
    "matroska": frozenset({"matroska,webm"}),
    "mpegts": frozenset({"mpegts"}),
    "mpegps": frozenset({"mpeg"}),
    "flv": frozenset({"flv"}),
    "asf": frozenset({"asf"}),
    "mp3": frozenset({"mp3"}),
    "adts": frozenset({"aac"}),
    "amr": frozenset({"amr", "amrnb", "amrwb"}),
    "ogg": frozenset({"ogg"}),
    "flac": frozenset({"flac"}),
    "jpeg": frozenset({"jpeg_pipe", "image2", "mjpeg"}),
    "png": frozenset({"png_pipe", "image2"}),
}
PHOTO_FAMILIES = frozenset({"jpeg", "png"})
ISO_BOXES = frozenset(
    {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"moof", b"styp"}
)


MEDIA_TYPES = {
    ("iso_bmff", "video"): "video/mp4",
    ("iso_bmff", "audio"): "audio/mp4",
    ("wav", "audio"): "audio/wav",
    ("avi", "video"): "video/x-msvideo",
    ("matroska", "video"): "video/x-matroska",
    ("matroska", "audio"): "audio/x-matroska",
    ("mpegts", "video"): "video/mp2t",
    ("mpegps", "video"): "video/mpeg",
    ("flv", "video"): "video/x-flv",
    ("asf", "video"): "video/x-ms-asf",
    ("asf", "audio"): "audio/x-ms-wma",
    ("mp3", "audio"): "audio/mpeg",
    ("adts", "audio"): "audio/aac",
    ("amr", "audio"): "audio/amr",
    ("ogg", "audio"): "audio/ogg",
    ("ogg", "video"): "video/ogg",
    ("flac", "audio"): "audio/flac",
    ("jpeg", "photo"): "image/jpeg",
    ("png", "photo"): "image/png",
}


def media_type(family: str | None, kind: str | None) -> str:
    """The MIME type a stored original is served with."""
    return MEDIA_TYPES.get((family or "", kind or ""), "application/octet-stream")


def sniff(head: bytes) -> str | None:
    """The signature family of a file from its first bytes, or None."""
    if len(head) >= 8 and head[4:8] in ISO_BOXES:
        return "iso_bmff"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return "mpegts"
    if head[:4] == b"\x00\x00\x01\xba":
        return "mpegps"
    simple = {
        b"FLV": "flv",
        b"\x30\x26\xb2\x75": "asf",
        b"ID3": "mp3",
        b"#!AMR": "amr",
        b"OggS": "ogg",
        b"fLaC": "flac",
        b"\xff\xd8\xff": "jpeg",
        b"\x89PNG\r\n\x1a\n": "png",
    }
    for magic, family in simple.items():
        if head.startswith(magic):
            return family
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:
            return "adts"
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
            return "mp3"
    return None


def structure_problem(f: BinaryIO, family: str, size: int) -> str | None:
    if family == "iso_bmff":
        return _iso_problem(f, size)
    if family in PHOTO_FAMILIES:
        f.seek(max(0, size - 4096))
        tail = f.read()
        if family == "jpeg" and b"\xff\xd9" not in tail:
            return "缺少 JPEG 结束标记，图片被截断"
        if family == "png" and b"IEND" not in tail[-64:]:
            return "缺少 PNG 结束块，图片被截断"
    return None


def _iso_problem(f: BinaryIO, size: int) -> str | None:
    """Walk the top-level boxes: each must fit in the file, and the index must be there."""
    offset, seen = 0, set()
    while offset < size:
        f.seek(offset)
        header = f.read(16)
        if len(header) < 8:
            return f"第 {offset} 字节处的数据块头不完整"
        box_size, box_type = struct.unpack(">I4s", header[:8])
        if box_size == 1 and len(header) == 16:
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:
            box_size = size - offset
        if box_size < 8:
            return f"第 {offset} 字节处的数据块长度无效"
        if offset + box_size > size:
            missing = offset + box_size - size
            return f"数据块 {box_type.decode('latin-1')!r} 缺少 {missing} 字节，文件被截断"
        seen.add(box_type)
        offset += box_size
    if b"moov" not in seen:
        return "缺少 MP4 索引（moov），文件可能未录制完成或拷贝中断"
    return None
