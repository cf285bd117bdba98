"""The synthetic recordings tests and the demo are made of (``media/synthetic.py``): a long
silent track is written by repeating its settled packet, and must still decode as the
encoder's own would: every sample there and silent, each frame following the last."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from liuhen.media.synthetic import make_audio, make_video

RATE = 16000


def _audio(path: Path) -> tuple[int, list[int], bool]:
    """Samples decoded, each frame's first sample time, and whether every sample is 0."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples, starts, silent = 0, [], True
        for frame in container.decode(stream):
            samples += frame.samples
            starts.append(int(frame.pts))
            silent = silent and not frame.to_ndarray().any()
    return samples, starts, silent


@pytest.mark.parametrize("seconds", [0.2, 3.0, 95.5])
def test_a_silent_track_decodes_to_every_sample_in_order(tmp_path: Path, seconds: float) -> None:
    path = make_audio(tmp_path / "a.m4a", seconds=seconds)
    samples, starts, silent = _audio(path)
    frames = -(-int(seconds * RATE) // 1024)  # the encoder's frames of 1,024 samples
    assert samples == frames * 1024 and len(starts) == frames
    assert starts == [n * 1024 for n in range(frames)]  # no gap, no overlap
    assert silent
    with av.open(str(path)) as container:
        assert container.duration == pytest.approx(seconds * 1_000_000, abs=70_000)


def test_a_long_video_keeps_its_sound_as_long_as_its_pictures(tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mp4", seconds=600, fps=1, width=64, height=48)
    samples, starts, silent = _audio(path)
    assert samples == 600 * RATE // 1024 * 1024 + 1024 * (600 * RATE % 1024 > 0) and silent
    assert starts[-1] - starts[0] == (len(starts) - 1) * 1024
    with av.open(str(path)) as container:
        assert container.streams.video[0].frames == 600
        assert container.duration == pytest.approx(600_000_000, abs=70_000)
