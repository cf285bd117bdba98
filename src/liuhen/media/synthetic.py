"""Real media made on the spot with PyAV, for the demo and for tests (no fixtures on disk)."""

from __future__ import annotations

from datetime import datetime
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
) -> Path:
    """Write an H.264 MP4 of moving colour bars and a silent AAC track."""
    with av.open(str(path), mode="w", format="mp4") as container:
        if creation_time is not None:
            container.metadata["creation_time"] = creation_time.isoformat()
        if title:
            container.metadata["title"] = title
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "tune": "zerolatency"}
        audio = container.add_stream("aac", rate=16000)
        audio.layout = "mono"
        frames = int(seconds * fps)
        for i in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            shift = (i * 4) % width
            luma = bytes(((x + shift) * 255 // width) & 0xFF for x in range(width)) * height
            frame.planes[0].update(luma)
            frame.planes[1].update(bytes([(i * 3) & 0xFF]) * (width // 2 * height // 2))
            frame.planes[2].update(bytes([128]) * (width // 2 * height // 2))
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                container.mux(packet)
        samples_per_frame = 1024
        total = int(seconds * 16000)
        for start in range(0, total, samples_per_frame):
            chunk = av.AudioFrame(format="fltp", layout="mono", samples=samples_per_frame)
            chunk.planes[0].update(bytes(4 * samples_per_frame))
            chunk.sample_rate = 16000
            chunk.pts = start
            chunk.time_base = Fraction(1, 16000)
            for packet in audio.encode(chunk):
                container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                container.mux(packet)
    return path
