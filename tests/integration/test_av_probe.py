"""Probing real media made with PyAV, refusing what is not whole, and deriving new files."""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import av
import pytest

from liuhen.errors import InvalidInput
from liuhen.media.clips import caption_photo, make_clip
from liuhen.media.probe import probe, sniff
from liuhen.media.synthetic import make_audio, make_photo, make_video

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 30, tzinfo=TZ)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    video = make_video(
        d / "DSJ-V9-0001_20261120093000.mp4",
        seconds=3,
        width=160,
        height=120,
        fps=10,
        creation_time=T0,
        metadata={"make": "某品牌", "model": "DSJ-V9", "serial_number": "DSJ-V9-0001"},
    )
    long_fast = make_video(
        d / "fast.mp4", seconds=12, width=160, height=120, fps=10, faststart=True
    )
    return {
        "video": video,
        "long_fast": long_fast,
        "m4a": make_audio(d / "REC.m4a", seconds=2, creation_time=T0),
        "wav": make_audio(d / "REC.wav", seconds=2, wav=True),
        "jpeg": make_photo(
            d / "IMG_0001.JPG",
            taken_at=datetime(2026, 11, 20, 9, 35, 12),
            make="某品牌",
            model="X1",
        ),
    }


def truncated(source: Path, dest: Path, fraction: float) -> Path:
    data = source.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def test_a_video_reads_as_video_with_codecs_size_duration_and_device_fields(media):
    p = probe(media["video"], tz=TZ)
    assert p.ok and p.kind == "video" and p.media_type == "video/mp4"
    assert p.container.startswith("mov,mp4")
    assert (p.video_codec, p.audio_codec, p.width, p.height) == ("h264", "aac", 160, 120)
    assert p.frame_rate == 10 and p.duration == pytest.approx(3.0, abs=0.1)
    assert p.creation_time == T0
    assert p.device_serial == "DSJ-V9-0001"
    assert p.device_fields["make"] == "某品牌" and p.device_fields["model"] == "DSJ-V9"
    stored = p.as_dict()
    assert stored["duration_ms"] == pytest.approx(3000, abs=100)
    assert not any(isinstance(v, float) for v in stored.values())


@pytest.mark.parametrize(("key", "media_type"), [("m4a", "audio/mp4"), ("wav", "audio/wav")])
def test_audio_reads_as_audio(media, key, media_type):
    p = probe(media[key], tz=TZ)
    assert p.ok and p.kind == "audio" and p.media_type == media_type
    assert p.video_codec is None and p.width is None
    assert p.duration == pytest.approx(2.0, abs=0.1)
    if key == "m4a":
        assert p.creation_time == T0


def test_a_jpeg_reads_as_a_photo_with_its_exif_capture_time(media):
    p = probe(media["jpeg"], tz=TZ)
    assert p.ok and p.kind == "photo" and p.media_type == "image/jpeg"
    assert (p.width, p.height) == (320, 240) and p.duration is None
    assert p.creation_time == datetime(2026, 11, 20, 9, 35, 12, tzinfo=TZ)
    assert p.device_fields["make"] == "某品牌"


def test_a_png_reads_as_a_photo(tmp_path):
    from PIL import Image

    Image.new("RGB", (40, 30), "red").save(tmp_path / "a.png")
    p = probe(tmp_path / "a.png")
    assert p.ok and p.kind == "photo" and p.media_type == "image/png"


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.99])
def test_a_truncated_mp4_is_damaged_whether_its_index_is_at_the_end_or_the_start(
    media, tmp_path, fraction
):
    for key in ("video", "long_fast"):
        p = probe(truncated(media[key], tmp_path / f"{key}.mp4", fraction))
        assert not p.ok and p.problem == "damaged", (key, fraction)
        assert "截断" in p.reason and "重新拷贝" in p.reason


def test_packets_missing_at_the_end_are_found_even_when_the_boxes_look_whole(media, tmp_path):
    """The index promises 12 s; the data box is 'repaired' to the cut length: the tail check."""
    data = bytearray(
        media["long_fast"].read_bytes()[: int(media["long_fast"].stat().st_size * 0.7)]
    )
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"mdat":
            data[offset : offset + 4] = struct.pack(">I", len(data) - offset)
            break
        offset += size
    path = tmp_path / "patched.mp4"
    path.write_bytes(bytes(data))
    p = probe(path)
    assert not p.ok and p.problem == "damaged" and "数据不完整" in p.reason


def test_a_truncated_jpeg_is_damaged(media, tmp_path):
    p = probe(truncated(media["jpeg"], tmp_path / "cut.jpg", 0.6))
    assert p.problem == "damaged" and "JPEG" in p.reason


@pytest.mark.parametrize(
    "content",
    [b"hello world\n" * 100, bytes(range(256)) * 20, b"this is not a video" * 10],
    ids=["text", "binary", "fake-mp4"],
)
def test_a_file_that_is_not_media_is_refused_even_if_named_mp4(tmp_path, content):
    path = tmp_path / "notes.mp4"
    path.write_bytes(content)
    p = probe(path)
    assert p.problem == "not_media" and "不是音视频或图片文件" in p.reason


def test_a_text_file_that_ffmpeg_would_read_as_ansi_art_is_not_media(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n" * 200)
    with av.open(str(path)) as container:  # FFmpeg's guess, by extension
        assert container.format.name == "tty"
    assert probe(path).problem == "not_media"


def test_a_zero_byte_file_is_refused_as_empty(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    p = probe(tmp_path / "empty.mp4")
    assert p.problem == "empty" and "0 字节" in p.reason


def test_a_name_that_looks_like_an_ffmpeg_protocol_is_read_as_a_plain_file(media, tmp_path):
    odd = tmp_path / "pipe:0"
    odd.write_bytes(media["video"].read_bytes())
    assert probe(odd).kind == "video"


def test_signatures_of_the_supported_families():
    assert sniff(b"\x00\x00\x00\x20ftypisom") == "iso_bmff"
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "wav"
    assert sniff(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff(b"\xff\xf1\x50\x80") == "adts"
    assert sniff(b"\xff\xfb\x90\x00") == "mp3"
    assert sniff(b"#!AMR\n") == "amr"
    assert sniff(b"plain text") is None


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_clip_is_a_new_file_of_the_range_and_the_original_is_untouched(media, tmp_path):
    before = sha(media["video"])
    result = make_clip(media["video"], tmp_path / "clip.mp4", start=0.5, end=2.0)
    assert sha(media["video"]) == before
    clip = probe(result.path)
    assert clip.ok and clip.kind == "video"
    assert clip.duration == pytest.approx(1.5, abs=0.15)
    assert result.video_frames == 15


def test_a_captioned_copy_carries_the_caption_in_the_picture(media, tmp_path):
    plain = make_clip(media["video"], tmp_path / "plain.mp4", start=0, end=1)
    captioned = make_clip(
        media["video"],
        tmp_path / "copy.mp4",
        start=0,
        end=1,
        caption="复制件 申请人：王某某 编号：示镇复〔2026〕3号 日期：2026-11-21",
    )

    def bottom_rows(path: Path) -> bytes:
        with av.open(str(path)) as c:
            frame = next(c.decode(video=0)).to_image()
        return frame.crop((0, frame.height - 10, frame.width, frame.height)).tobytes()

    assert bottom_rows(plain.path) != bottom_rows(captioned.path)


def test_audio_clips_and_photo_copies(media, tmp_path):
    clip = make_clip(media["wav"], tmp_path / "a.m4a", start=0.5, end=1.5)
    assert probe(clip.path).kind == "audio" and clip.video_frames == 0
    copy = caption_photo(media["jpeg"], tmp_path / "copy.jpg", "复制件")
    assert probe(copy).kind == "photo" and sha(copy) != sha(media["jpeg"])


def test_a_clip_range_outside_the_file_makes_nothing(media, tmp_path):
    with pytest.raises(InvalidInput):
        make_clip(media["video"], tmp_path / "x.mp4", start=2, end=1)
    with pytest.raises(InvalidInput, match="没有画面或声音"):
        make_clip(media["video"], tmp_path / "y.mp4", start=30, end=40)
