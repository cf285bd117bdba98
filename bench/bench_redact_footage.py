"""Footage redaction at length: frames per second of finding faces and of writing the
redacted copy, against decoding alone, and whether memory stays flat for a long clip.

    python bench/bench_redact_footage.py [--minutes 10] [--width 1280 --height 720]
                                         [--fps 25] [--source FILE] [--json]

**The clip.** ``--minutes`` of H.264/AAC at ``--width``×``--height`` and ``--fps`` made with
PyAV (kept as ``--source`` when given and reused if it exists): scikit-image's photograph of
a person in the left half, panning a pixel a frame so no two frames are alike, stripes in
the right half, a tone on the sound.

**What is measured**, each pass in a fresh child process (its own ``VmHWM``):

  decode   every video and audio frame of the clip decoded and dropped: the floor, the least
           any pass over the file costs on this machine;
  scan     ``media/footage.scan_faces``: decoding, and the face detector (CenterFace under
           onnxruntime) on a frame every 0.2 s scaled to 640 px;
  redact   ``media/footage.redact_video`` with the face the scan found (one moving cover for
           the whole clip), a muted minute and the copy's caption: decode, pixelate, caption,
           H.264 encode (veryfast, CRF 20), AAC encode.

Each prints frames per second, its ratio to the floor and its peak RSS; ``redact`` also the
resident memory at 10 %, 50 % and 100 % of the clip (flat: the same at each, since one frame
at a time is held). With ``--json``, one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_clip(path: Path, minutes: float, width: int, height: int, fps: int) -> None:
    import av
    import numpy as np
    from tests.footage_case import picture

    still = picture(width + 200, height)
    frames = int(minutes * 60 * fps)
    with av.open(str(path), mode="w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "23"}
        sound = out.add_stream("aac", rate=44100)
        sound.layout = "mono"
        sample = 0
        for i in range(frames):
            shift = i % 200
            frame = np.ascontiguousarray(still[:, shift : shift + width])
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, fps)
            out.mux(video.encode(vf))
            while sample < (i + 1) * 44100 // fps:
                tone = 0.3 * np.sin(2 * np.pi * 440 * (sample + np.arange(1024)) / 44100)
                chunk = av.AudioFrame.from_ndarray(
                    tone[None].astype(np.float32), format="fltp", layout="mono"
                )
                chunk.sample_rate, chunk.pts = 44100, sample
                out.mux(sound.encode(chunk))
                sample += 1024
        out.mux(video.encode(None))
        out.mux(sound.encode(None))


def child_decode(source: Path) -> dict[str, Any]:
    import av

    start = time.perf_counter()
    frames = 0
    with av.open(str(source)) as container:
        container.streams.video[0].thread_type = "AUTO"
        for frame in container.decode(video=0, audio=0):
            frames += isinstance(frame, av.VideoFrame)
    return {"frames": frames, "seconds": time.perf_counter() - start}


def child_scan(source: Path) -> dict[str, Any]:
    from liuhen.domain.footage_redaction import tracks
    from liuhen.media.faces import detector
    from liuhen.media.footage import STEP, scan_faces

    found = detector()
    start = time.perf_counter()
    scan = scan_faces(source, found)
    seconds = time.perf_counter() - start
    covers = tracks(scan.samples, STEP, file=1, reason="bench")
    Path(str(source) + ".covers.json").write_text(
        json.dumps([c.to_dict() for c in covers]), encoding="utf-8"
    )
    return {"frames": scan.frames, "seconds": seconds, "faces": len(covers),
            "sampled": len(scan.samples)}  # fmt: skip


def child_redact(source: Path) -> dict[str, Any]:
    from liuhen.domain.footage_redaction import covers_at, from_dict
    from liuhen.media.footage import redact_video

    raw = json.loads(Path(str(source) + ".covers.json").read_text(encoding="utf-8"))
    marks = [from_dict(m) for m in raw]
    seen: dict[str, float] = {}

    def progress(share: float) -> None:
        for mark in (0.1, 0.5):
            if share >= mark and f"{mark:.0%}" not in seen:
                seen[f"{mark:.0%}"] = rss_mib()

    target = source.with_name("redacted.mp4")
    start = time.perf_counter()
    made = redact_video(
        source, target, covers_at=lambda t: covers_at(marks, 1, t), mutes=[(60.0, 120.0)],
        caption="复制件 仅供王某使用 申请编号：测试〔2026〕1号 日期：2026-12-05",
        progress=progress,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    seen["100%"] = rss_mib()
    target.unlink()
    return {"frames": made.frames, "seconds": seconds, "covered": made.covered_frames,
            "rss_mib": seen}  # fmt: skip


def run_child(name: str, source: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--source", str(source)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--source", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", choices=("decode", "scan", "redact"))
    args = parser.parse_args()
    if args.child:
        result = {"decode": child_decode, "scan": child_scan, "redact": child_redact}[args.child](
            args.source
        )
        result["peak_rss_mib"] = rss_mib("VmHWM")
        print(json.dumps(result))
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-footage-"))
    source = args.source or folder / "clip.mp4"
    if not source.exists():
        began = time.perf_counter()
        make_clip(source, args.minutes, args.width, args.height, args.fps)
        print(f"clip: made in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    results = {name: run_child(name, source) for name in ("decode", "scan", "redact")}
    floor = results["decode"]["frames"] / results["decode"]["seconds"]
    summary: dict[str, Any] = {"minutes": args.minutes, "size": f"{args.width}x{args.height}",
                               "fps": args.fps, "cpus": os.cpu_count(),
                               "source_mib": round(source.stat().st_size / 2**20, 1)}  # fmt: skip
    for name, r in results.items():
        rate = r["frames"] / r["seconds"]
        summary[name] = {**r, "frames_per_s": round(rate, 1), "ratio": round(floor / rate, 2)}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    print(f"clip: {args.minutes:g} min {summary['size']} at {args.fps} fps, "
          f"{summary['source_mib']} MiB, {summary['cpus']} CPUs")  # fmt: skip
    for name in ("decode", "scan", "redact"):
        r = summary[name]
        print(f"{name:>6}: {r['frames']} frames in {r['seconds']:.1f} s = {r['frames_per_s']} "
              f"frames/s, {r['ratio']}× the floor, peak RSS {r['peak_rss_mib']:.0f} MiB")  # fmt: skip
    print(f"  scan: {summary['scan']['faces']} face(s) in {summary['scan']['sampled']} samples")
    rss = summary["redact"]["rss_mib"]
    print("redact RSS: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in rss.items()))


if __name__ == "__main__":
    main()
