"""Derived media: a clip of an original, or a copy with a caption burnt in, as a NEW file.

The original is only ever opened for reading. A clip is re-encoded (H.264/AAC in MP4, or
AAC in M4A for audio) so that it starts and ends where asked, not at the nearest key
frame. The caption (``复制件 申请人… 编号… 日期…``) is drawn with Pillow, since the
FFmpeg inside PyAV has no ``drawtext`` filter, in a Chinese font found on the machine
(``find_cjk_font``) or given.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
import av.error

from liuhen.errors import ConfigError, InvalidInput

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK*.ttc",
    "/usr/share/fonts/**/NotoSansCJK*.tt[cf]",
    "/usr/share/fonts/**/SourceHanSans*.tt[cf]",
    "/usr/share/fonts/**/wqy-microhei.ttc",
    "/usr/share/fonts/**/wqy-zenhei.ttc",
    "/usr/share/fonts/**/NotoSerifCJK*.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


@dataclass(frozen=True)
class ClipResult:
    path: Path
    duration: float
    video_frames: int
    audio_samples: int


def find_cjk_font(font_path: Path | None = None) -> tuple[Path, int]:
    """A font file that has Chinese glyphs, and the face index of its Simplified face."""
    if font_path is not None:
        if not Path(font_path).is_file():
            raise ConfigError(f"字体文件 {font_path} 不存在")
        return Path(font_path), _sc_index(str(font_path))
    found = _search_fonts()
    if found is None:
        raise ConfigError(
            "未找到中文字体，无法加注文字：请安装 fonts-noto-cjk（Debian/Ubuntu）或指定字体文件"
        )
    return found, _sc_index(str(found))


@lru_cache(maxsize=1)
def _search_fonts() -> Path | None:
    for pattern in FONT_CANDIDATES:
        for name in sorted(glob.glob(pattern, recursive=True)):
            return Path(name)
    fc_list = shutil.which("fc-list")
    if fc_list:
        listing = subprocess.run(
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
        files = sorted(line.split(":")[0].strip() for line in listing.splitlines() if line)
        if files:
            return Path(files[0])
    return None


@lru_cache(maxsize=8)
def _sc_index(path: str) -> int:
    from PIL import ImageFont

    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(12):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith(" SC") or "SC" in family.split():
            return index
    return 0


def caption_overlay(width: int, height: int, caption: str, font_path: Path | None = None) -> Any:
    """An RGBA strip for the bottom of a ``width``-wide picture, the caption wrapped on it."""
    from PIL import Image, ImageDraw, ImageFont

    path, index = find_cjk_font(font_path)
    size = max(12, height // 22)
    font = ImageFont.truetype(str(path), size, index=index)
    margin = max(4, size // 3)
    lines = _wrap(caption, font, width - 2 * margin)
    strip_height = len(lines) * (size + margin // 2) + margin
    strip = Image.new("RGBA", (width, min(strip_height, height)), (0, 0, 0, 150))
    draw = ImageDraw.Draw(strip)
    for i, line in enumerate(lines):
        draw.text((margin, margin // 2 + i * (size + margin // 2)), line, font=font, fill="white")
    return strip


def _wrap(text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if line and font.getlength(line + ch) > width:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    return lines


CARD_SIZE = (640, 360)
CARD_TITLE = "录音复制件"


def caption_card(caption: str, title: str = CARD_TITLE, font_path: Path | None = None) -> Any:
    """The still picture that carries the mark of an audio copy (a recording has no picture
    of its own to mark): ``title`` large, ``caption`` wrapped below it, on dark grey."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = CARD_SIZE
    path, index = find_cjk_font(font_path)
    big = ImageFont.truetype(str(path), 40, index=index)
    small = ImageFont.truetype(str(path), 22, index=index)
    card = Image.new("RGB", CARD_SIZE, (48, 52, 58))
    draw = ImageDraw.Draw(card)
    draw.text((32, 40), title, font=big, fill="white")
    for i, line in enumerate(_wrap(caption, small, width - 64)):
        draw.text((32, 120 + i * 32), line, font=small, fill=(230, 230, 230))
    return card


def caption_photo(source: Path, dest: Path, caption: str, *, font_path: Path | None = None) -> Path:
    """A JPEG copy of a photo with ``caption`` across its bottom; EXIF is not carried over."""
    from PIL import Image

    with Image.open(source) as original:
        picture = original.convert("RGB")
    strip = caption_overlay(picture.width, picture.height, caption, font_path)
    picture.paste(strip, (0, picture.height - strip.height), strip)
    picture.save(dest, format="JPEG", quality=90)
    return dest


def make_clip(
    source: Path,
    dest: Path,
    *,
    start: float,
    end: float,
    caption: str = "",
    font_path: Path | None = None,
) -> ClipResult:
    """Write seconds ``start``..``end`` of ``source`` to ``dest`` (MP4, or M4A for audio).

    With a ``caption``, video gets it burnt into every frame; audio (no picture to mark)
    becomes an MP4 whose picture is a still card carrying the caption (``caption_card``), one
    frame a second for as long as the sound lasts. The caption is also the file's comment."""
    if not 0 <= start < end:
        raise InvalidInput(f"截取范围 {start:.3f}–{end:.3f} 秒无效：起点应不小于 0 且早于终点")
    with open(source, "rb") as f, av.open(f, mode="r") as inp:
        vin = next((s for s in inp.streams.video if not _is_cover(s)), None)
        ain = next(iter(inp.streams.audio), None)
        if vin is None and ain is None:
            raise InvalidInput("原件中没有音频或视频，无法截取")
        fmt = "mp4" if vin is not None or caption else "ipod"
        with av.open(str(dest), mode="w", format=fmt) as out:
            if caption:
                out.metadata["comment"] = caption
            writer = _ClipWriter(out, vin, ain, start, end, caption, font_path)
            inp.seek(int(start * 1_000_000), backward=True)
            streams = [s for s in (vin, ain) if s is not None]
            for packet in inp.demux(*streams):
                for frame in _decode(packet):
                    writer.add(packet.stream, frame)
                if writer.done:
                    break
            writer.finish()
    if writer.frames == 0 and writer.samples == 0:
        raise InvalidInput(f"原件在 {start:.1f}–{end:.1f} 秒之间没有画面或声音，未生成剪辑")
    return ClipResult(dest, end - start, writer.frames, writer.samples)


def _is_cover(stream: Any) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _decode(packet: Any) -> list[Any]:
    try:
        return list(packet.decode())
    except av.error.FFmpegError:
        return []


class _ClipWriter:
    """Re-encodes the frames that fall in [start, end), re-timed from zero."""

    def __init__(
        self,
        out: Any,
        vin: Any,
        ain: Any,
        start: float,
        end: float,
        caption: str,
        font_path: Path | None,
    ) -> None:
        self.out, self.start, self.end = out, start, end
        self.frames = self.samples = 0
        self.finished: set[str] = set()
        self._last_pts = -1
        self.vout = self.aout = self.resampler = self.overlay = self.card = None
        self.vin, self.ain = vin, ain
        if vin is None and caption:  # audio: its mark goes on a still card, 1 frame a second
            self.rate = Fraction(1)
            self.card = caption_card(caption, font_path=font_path)
            self.vout = out.add_stream("libx264", rate=self.rate)
            self.vout.width, self.vout.height = CARD_SIZE
            self.vout.pix_fmt = "yuv420p"
            self.vout.options = {"preset": "veryfast", "crf": "23"}
        if vin is not None:
            cc = vin.codec_context
            self.rate = vin.average_rate or vin.guessed_rate or Fraction(25)
            self.vout = out.add_stream("libx264", rate=self.rate)
            self.vout.width, self.vout.height = cc.width - cc.width % 2, cc.height - cc.height % 2
            self.vout.pix_fmt = "yuv420p"
            self.vout.options = {"preset": "veryfast", "crf": "20"}
            if caption:
                self.overlay = caption_overlay(
                    self.vout.width, self.vout.height, caption, font_path
                )
        if ain is not None:
            rate = ain.codec_context.sample_rate or 44100
            layout = "mono" if ain.codec_context.channels == 1 else "stereo"
            self.aout = out.add_stream("aac", rate=rate)
            self.aout.layout = layout
            self.resampler = av.AudioResampler(
                format="fltp", layout=layout, rate=rate, frame_size=1024
            )

    @property
    def done(self) -> bool:
        wanted = {"video"} if self.vout is not None and self.card is None else set()
        if self.aout is not None:
            wanted.add("audio")
        return wanted <= self.finished

    def add(self, stream: Any, frame: Any) -> None:
        t = frame.time
        if t is None or t < self.start:
            return
        if t >= self.end:
            self.finished.add(stream.type)
            return
        if stream.type == "video" and self.vout is not None:
            self._video(frame, t)
        elif stream.type == "audio" and self.aout is not None:
            self._audio(frame)

    def _video(self, frame: Any, t: float) -> None:
        assert self.vout is not None
        pts = round((t - self.start) * self.rate)
        if self.frames and pts <= self._last_pts:
            return
        if self.overlay is not None:
            picture = frame.to_image()
            picture.paste(self.overlay, (0, picture.height - self.overlay.height), self.overlay)
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
        frame = frame.reformat(width=self.vout.width, height=self.vout.height, format="yuv420p")
        frame.pts, frame.time_base = pts, Fraction(1) / self.rate
        self._last_pts = pts
        self.frames += 1
        self.out.mux(self.vout.encode(frame))

    def _audio(self, frame: Any) -> None:
        assert self.aout is not None and self.resampler is not None
        frame.pts = None
        for chunk in self.resampler.resample(frame):
            self._audio_out(chunk)

    def _audio_out(self, chunk: Any) -> None:
        assert self.aout is not None
        chunk.pts, chunk.time_base = self.samples, Fraction(1, chunk.sample_rate)
        self.samples += chunk.samples
        self.out.mux(self.aout.encode(chunk))
        if self.card is not None:
            self._card_until(self.samples / chunk.sample_rate)

    def _card_until(self, seconds: float) -> None:
        """Card frames up to ``seconds`` of sound (one a second, the first at 0)."""
        assert self.vout is not None and self.card is not None
        while self.frames <= seconds:
            frame = av.VideoFrame.from_image(self.card)  # type: ignore[no-untyped-call]
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = self.frames, Fraction(1)
            self.frames += 1
            self.out.mux(self.vout.encode(frame))

    def finish(self) -> None:
        if self.resampler is not None:
            for chunk in self.resampler.resample(None):
                self._audio_out(chunk)
        for stream in (self.vout, self.aout):
            if stream is not None:
                self.out.mux(stream.encode(None))
