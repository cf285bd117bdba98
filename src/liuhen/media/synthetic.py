"""Real media made on the spot with PyAV, for the demo and for tests (no fixtures on disk).

``make_video`` writes an H.264/AAC MP4, ``make_audio`` an AAC (M4A) or PCM (WAV) recording,
``make_photo`` a JPEG with an optional EXIF capture time, as body cameras, recorders and
cameras produce them; ``make_recording`` a recording cut into named segment files.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av


def make_video(
    path: Path,
    *,
    seconds: float = 4.0,
    width: int = 320,
    height: int = 240,
    fps: int = 15,
    creation_time: datetime | None = None,
    title: str = "",
    metadata: Mapping[str, str] | None = None,
    faststart: bool = False,
    audio: bool = True,
) -> Path:
    """Write an H.264 MP4 of moving colour bars and a silent AAC track.

    ``metadata`` adds container tags as a device would (``make``, ``serial_number`` …);
    ``faststart`` puts the index (moov) before the data, as some cameras do.
    """
    flags = ["use_metadata_tags"] if metadata else []
    if faststart:
        flags.append("faststart")
    options = {"movflags": "+".join(flags)} if flags else {}
    with av.open(str(path), mode="w", format="mp4", options=options) as container:
        if creation_time is not None:
            container.metadata["creation_time"] = creation_time.isoformat()
        if title:
            container.metadata["title"] = title
        for key, value in (metadata or {}).items():
            container.metadata[key] = value
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "tune": "zerolatency"}
        sound = _add_audio(container, "aac") if audio else None
        frames = int(seconds * fps)
        chroma = width // 2 * height // 2
        grey = bytes([128]) * chroma
        bars: dict[int, bytes] = {}  # each shift of the bars, drawn once
        for i in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            shift = (i * 4) % width
            if shift not in bars:
                row = bytes(((x + shift) * 255 // width) & 0xFF for x in range(width))
                bars[shift] = row * height
            frame.planes[0].update(bars[shift])
            frame.planes[1].update(bytes([(i * 3) & 0xFF]) * chroma)
            frame.planes[2].update(grey)
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        if sound is not None:
            _write_silence(container, sound, seconds)
    return path


def make_audio(
    path: Path,
    *,
    seconds: float = 3.0,
    creation_time: datetime | None = None,
    wav: bool = False,
) -> Path:
    """Write a mono recording: AAC in an M4A container, or 16-bit PCM in a WAV file."""
    fmt, codec = ("wav", "pcm_s16le") if wav else ("ipod", "aac")
    with av.open(str(path), mode="w", format=fmt) as container:
        if creation_time is not None and not wav:
            container.metadata["creation_time"] = creation_time.isoformat()
        _write_silence(container, _add_audio(container, codec), seconds)
    return path


def _add_audio(container: av.container.OutputContainer, codec: str) -> av.AudioStream:
    stream = container.add_stream(codec, rate=16000)
    assert isinstance(stream, av.AudioStream)
    stream.layout = "mono"
    return stream


def _write_silence(
    container: av.container.OutputContainer, stream: av.AudioStream, seconds: float
) -> None:
    """Encode ``seconds`` of silence (mono, 16 kHz) into ``stream``. Once the encoder gives
    the same packet twice, silence has settled into one packet: it is written again for
    each frame left, with that frame's time, instead of encoding the frame (a 22-minute
    track 1.05 → 0.05 s; it decodes to the same samples at the same times)."""
    rate, per_frame = 16000, 1024
    sample_format = "fltp" if stream.codec_context.name == "aac" else "s16"
    width = 4 if sample_format == "fltp" else 2
    chunk = av.AudioFrame(format=sample_format, layout="mono", samples=per_frame)
    chunk.planes[0].update(bytes(width * per_frame))
    chunk.sample_rate = rate
    chunk.time_base = Fraction(1, rate)
    starts = range(0, int(seconds * rate), per_frame)
    last: av.Packet[av.AudioStream] | None = None
    for start in starts:
        chunk.pts = start
        settled = False
        for packet in stream.encode(chunk):
            settled = last is not None and bytes(packet) == bytes(last)
            last = packet
            container.mux(packet)
        if settled and last is not None and last.pts is not None:
            _repeat(container, stream, last, last.pts + per_frame, starts[-1])
            return
    for packet in stream.encode(None):
        container.mux(packet)


def _repeat(
    container: av.container.OutputContainer,
    stream: av.AudioStream,
    settled: av.Packet[av.AudioStream],
    first: int,
    last: int,
) -> None:
    """``settled`` again at every frame's time from ``first`` to ``last`` (where the
    encoder's own packets would have ended once flushed)."""
    payload, base, duration = bytes(settled), settled.time_base, settled.duration
    for pts in range(first, last + 1, duration or 1024):
        packet = av.Packet(payload)
        packet.stream = stream
        packet.time_base = base
        packet.pts = packet.dts = pts
        packet.duration = duration
        container.mux(packet)


def make_photo(
    path: Path,
    *,
    width: int = 320,
    height: int = 240,
    taken_at: datetime | None = None,
    make: str = "",
    model: str = "",
) -> Path:
    """Write a JPEG (PyAV's MJPEG encoder), with EXIF DateTimeOriginal when ``taken_at`` is set."""
    frame = av.VideoFrame(width, height, "yuvj420p")
    frame.planes[0].update(bytes((x * 255 // width) & 0xFF for x in range(width)) * height)
    frame.planes[1].update(bytes([90]) * (width // 2 * height // 2))
    frame.planes[2].update(bytes([200]) * (width // 2 * height // 2))
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    jpeg = b"".join(bytes(p) for p in codec.encode(frame)) + b"".join(
        bytes(p) for p in codec.encode(None)
    )
    if taken_at is not None or make or model:
        jpeg = jpeg[:2] + _exif_segment(taken_at, make, model) + jpeg[2:]
    Path(path).write_bytes(jpeg)
    return Path(path)


def _exif_segment(taken_at: datetime | None, make: str, model: str) -> bytes:
    """A minimal big-endian EXIF APP1: IFD0 (Make, Model, ExifIFD) and DateTimeOriginal."""
    ascii_tags: list[tuple[int, bytes]] = []
    if make:
        ascii_tags.append((0x010F, make.encode() + b"\0"))
    if model:
        ascii_tags.append((0x0110, model.encode() + b"\0"))
    when = (taken_at.strftime("%Y:%m:%d %H:%M:%S") if taken_at else "").encode() + b"\0"
    ifd0_count = len(ascii_tags) + 1
    ifd0_size = 2 + 12 * ifd0_count + 4
    exif_ifd_at = 8 + ifd0_size
    exif_ifd_size = 2 + 12 + 4
    data_at = exif_ifd_at + exif_ifd_size
    entries, blob = b"", b""
    for tag, value in ascii_tags:
        entries += struct.pack(">HHII", tag, 2, len(value), data_at + len(blob))
        blob += value
    entries += struct.pack(">HHII", 0x8769, 4, 1, exif_ifd_at)
    when_at = data_at + len(blob)
    blob += when
    ifd0 = struct.pack(">H", ifd0_count) + entries + b"\0\0\0\0"
    exif_ifd = struct.pack(">HHHII", 1, 0x9003, 2, len(when), when_at) + b"\0\0\0\0"
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + exif_ifd + blob
    body = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def make_recording(
    directory: Path,
    *,
    start: datetime,
    seconds: Sequence[float] = (2.0, 2.0, 2.0),
    pauses: Sequence[float] = (),
    device: str = "DSJ-V9-0001",
    width: int = 160,
    height: int = 120,
    fps: int = 10,
) -> list[Path]:
    """One body-camera recording cut into segment files named ``<device>_<YYYYmmddHHMMSS>.mp4``.

    Segment ``i + 1`` starts when segment ``i`` ends plus ``pauses[i]`` seconds (default 0);
    each file has its own content (a title tag), so no two are identical.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    moment = start
    for i, length in enumerate(seconds):
        name = f"{device}_{moment:%Y%m%d%H%M%S}.mp4"
        paths.append(
            make_video(
                directory / name,
                seconds=length,
                width=width,
                height=height,
                fps=fps,
                title=f"{device} segment {i + 1}",
            )
        )
        pause = pauses[i] if i < len(pauses) else 0.0
        moment += timedelta(seconds=round(length + pause))
    return paths


def padding_box(size: int) -> bytes:
    """The header of an MP4 ``free`` box ``size`` bytes long in all, zeros to follow.

    Appended to a short real video it makes a file as large as a body camera's (1–4 GB)
    that demuxers still read as that video, without encoding gigabytes of frames: tests
    and benchmarks send ``video + padding_box(n) + zeros``, generated on the fly.
    """
    if size < 16:
        raise ValueError("a padding box is at least 16 bytes")
    if size < 2**32:
        return struct.pack(">I4s", size, b"free")
    return struct.pack(">I4sQ", 1, b"free", size)
