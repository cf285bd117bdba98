"""Footage redaction's two passes over a video file, each streaming (decode → work →
encode, one frame at a time, so an hour-long file takes the memory of a few frames):

``scan_faces`` decodes the file and runs the face detector (``media/faces.py``) on a frame
every ``step`` seconds, scaled down to the detector's width, and returns the boxes seen at
each sampled time. ``redact_video`` writes a NEW file: every frame re-encoded (H.264 in
MP4) with the regions the marks give for its time pixelated and blurred beyond
recognition, the caption of a party's copy burnt in, and the sound (AAC) silenced in the
muted ranges. The original is only opened for reading. ``progress`` is told the share done
(0..1) now and then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from liuhen.errors import InvalidInput
from liuhen.media.clips import caption_overlay
from liuhen.media.faces import Detector

Box = tuple[float, float, float, float]
Progress = Callable[[float], None]
STEP = 0.2
"""Seconds between the frames the detector looks at (5 a second)."""
BLOCKS = 8
"""A covered region is reduced to at most this many blocks across before it is blurred."""


def _none(_share: float) -> None:
    return None


@dataclass(frozen=True)
class Scan:
    samples: list[tuple[float, list[Box]]]
    duration: float
    width: int
    height: int
    frames: int


def _streams(container: Any) -> tuple[Any, Any]:
    vin = next(
        (
            s
            for s in container.streams.video
            if not s.disposition & av.stream.Disposition.attached_pic
        ),
        None,
    )
    return vin, next(iter(container.streams.audio), None)


def _length(container: Any, stream: Any) -> float:
    if stream is not None and stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return float((container.duration or 0) / 1_000_000)


def scan_faces(
    source: Path, detector: Detector, *, step: float = STEP, progress: Progress = _none
) -> Scan:
    """The faces in ``source`` at every ``step`` seconds (the first frame at or after each)."""
    with av.open(str(source)) as container:
        vin, _ain = _streams(container)
        if vin is None:
            raise InvalidInput("file: 该文件没有画面，无法检测人脸")
        vin.thread_type = "AUTO"
        length = _length(container, vin)
        cc = vin.codec_context
        size = detector.size_for(cc.width, cc.height)
        samples: list[tuple[float, list[Box]]] = []
        due, frames = 0.0, 0
        for frame in container.decode(vin):
            t = frame.time
            frames += 1
            if t is None or t + 1e-6 < due:
                continue
            rgb = frame.to_ndarray(width=size[0], height=size[1], format="rgb24")
            samples.append((round(t, 3), detector.faces(rgb)))
            due = t + step
            if length and len(samples) % 25 == 0:
                progress(min(0.99, t / length))
    progress(1.0)
    return Scan(samples, length, cc.width, cc.height, frames)


@dataclass(frozen=True)
class Redacted:
    path: Path
    frames: int
    covered_frames: int
    muted_seconds: float


def pixelate(picture: np.ndarray, box: Box) -> None:
    """Make the region ``box`` (fractions) of an H×W×3 array unrecognisable, in place:
    averaged into at most ``BLOCKS`` blocks across, then each block spread flat."""
    h, w = picture.shape[:2]
    x0, y0 = int(box[0] * w), int(box[1] * h)
    x1, y1 = (
        min(w, int(np.ceil((box[0] + box[2]) * w))),
        min(h, int(np.ceil((box[1] + box[3]) * h))),
    )
    if x1 <= x0 or y1 <= y0:
        return
    region = picture[y0:y1, x0:x1]
    cell = max(2, (x1 - x0) // BLOCKS, (y1 - y0) // BLOCKS)
    for by in range(0, y1 - y0, cell):
        for bx in range(0, x1 - x0, cell):
            block = region[by : by + cell, bx : bx + cell]
            block[...] = block.reshape(-1, 3).mean(axis=0).astype(np.uint8)


def redact_video(
    source: Path,
    dest: Path,
    *,
    covers_at: Callable[[float], Sequence[Box]],
    mutes: Sequence[tuple[float, float]] = (),
    caption: str = "",
    progress: Progress = _none,
) -> Redacted:
    """Write ``source`` to ``dest`` with ``covers_at(t)``'s regions pixelated in the frame at
    ``t`` seconds, ``caption`` along the bottom and the sound silent within ``mutes``."""
    with open(source, "rb") as f, av.open(f, mode="r") as inp:
        vin, ain = _streams(inp)
        if vin is None:
            raise InvalidInput("file: 该文件没有画面，不能按画面遮盖")
        vin.thread_type = "AUTO"
        length = _length(inp, vin)
        with av.open(str(dest), mode="w", format="mp4") as out:
            if caption:
                out.metadata["comment"] = caption
            writer = _Writer(out, vin, ain, caption, covers_at, mutes)
            streams = [s for s in (vin, ain) if s is not None]
            for packet in inp.demux(*streams):
                for frame in _decode(packet):
                    writer.add(packet.stream, frame)
                if writer.frames and writer.frames % 100 == 0 and length:
                    progress(min(0.99, writer.last / length))
            writer.finish()
    progress(1.0)
    return Redacted(dest, writer.frames, writer.covered, writer.muted)


def _decode(packet: Any) -> list[Any]:
    try:
        return list(packet.decode())
    except av.error.FFmpegError:
        return []


class _Writer:
    """Re-encodes every frame from the first, covered, captioned and muted as asked."""

    def __init__(
        self,
        out: Any,
        vin: Any,
        ain: Any,
        caption: str,
        covers_at: Callable[[float], Sequence[Box]],
        mutes: Sequence[tuple[float, float]],
    ) -> None:
        self.out, self.covers_at, self.mutes = out, covers_at, list(mutes)
        self.frames = self.covered = self.samples = 0
        self.muted, self.last, self._last_pts = 0.0, 0.0, -1
        cc = vin.codec_context
        self.rate = vin.average_rate or vin.guessed_rate or Fraction(25)
        self.vout = out.add_stream("libx264", rate=self.rate)
        self.vout.width, self.vout.height = cc.width - cc.width % 2, cc.height - cc.height % 2
        self.vout.pix_fmt = "yuv420p"
        self.vout.options = {"preset": "veryfast", "crf": "20"}
        self.overlay = (
            caption_overlay(self.vout.width, self.vout.height, caption) if caption else None
        )
        self.aout = self.resampler = None
        if ain is not None:
            rate = ain.codec_context.sample_rate or 44100
            layout = "mono" if ain.codec_context.channels == 1 else "stereo"
            self.aout = out.add_stream("aac", rate=rate)
            self.aout.layout = layout
            self.resampler = av.AudioResampler(
                format="fltp", layout=layout, rate=rate, frame_size=1024
            )

    def add(self, stream: Any, frame: Any) -> None:
        if frame.time is None:
            return
        if stream.type == "video":
            self._video(frame, float(frame.time))
        elif stream.type == "audio" and self.resampler is not None:
            frame.pts = None
            for chunk in self.resampler.resample(frame):
                self._audio(chunk)

    def _video(self, frame: Any, t: float) -> None:
        pts = round(t * self.rate)
        if self.frames and pts <= self._last_pts:
            return
        boxes = self.covers_at(t)
        if boxes or self.overlay is not None:
            picture = frame.to_ndarray(
                width=self.vout.width, height=self.vout.height, format="rgb24"
            )
            for box in boxes:
                pixelate(picture, box)
            if boxes:
                self.covered += 1
            if self.overlay is not None:
                self._caption(picture)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame = frame.reformat(width=self.vout.width, height=self.vout.height, format="yuv420p")
        frame.pts, frame.time_base = pts, Fraction(1) / self.rate
        self._last_pts, self.last = pts, t
        self.frames += 1
        self.out.mux(self.vout.encode(frame))

    def _caption(self, picture: np.ndarray) -> None:
        """Blend the caption strip (RGBA) into the bottom of ``picture`` in place."""
        assert self.overlay is not None
        if not hasattr(self, "_strip"):
            rgba = np.asarray(self.overlay, dtype=np.float32)
            self._alpha = rgba[..., 3:4] / 255.0
            self._strip = rgba[..., :3] * self._alpha
        h = self._strip.shape[0]
        bottom = picture[-h:].astype(np.float32)
        picture[-h:] = (bottom * (1 - self._alpha) + self._strip).astype(np.uint8)

    def _audio(self, chunk: Any) -> None:
        assert self.aout is not None
        rate = chunk.sample_rate
        start = self.samples / rate
        end = start + chunk.samples / rate
        hits = [(a, b) for a, b in self.mutes if a < end and start < b]
        if hits:
            data = chunk.to_ndarray()
            for a, b in hits:
                i0 = max(0, int((a - start) * rate))
                i1 = min(chunk.samples, int(np.ceil((b - start) * rate)))
                data[:, i0:i1] = 0
                self.muted += (i1 - i0) / rate
            silent = av.AudioFrame.from_ndarray(
                data, format=chunk.format.name, layout=chunk.layout.name
            )
            silent.sample_rate = rate
            chunk = silent
        chunk.pts, chunk.time_base = self.samples, Fraction(1, rate)
        self.samples += chunk.samples
        self.out.mux(self.aout.encode(chunk))

    def finish(self) -> None:
        if self.resampler is not None:
            for chunk in self.resampler.resample(None):
                self._audio(chunk)
        for stream in (self.vout, self.aout):
            if stream is not None:
                self.out.mux(stream.encode(None))
