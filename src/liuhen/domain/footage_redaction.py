"""Redaction of footage for a party's copy (录像遮盖; 002§34, 004§38): what a mark on a video
is, and the pure operations on marks and detections.

A ``Cover`` blurs a region of one file of an AV record from ``start`` to ``end`` seconds: a
fixed box, or a moving one given by ``track`` (times and boxes the detector saw, joined in
between). A ``Mute`` silences the sound of one file from ``start`` to ``end``. Boxes are
fractions of the picture (0..1: x, y, width, height), so they hold whatever size the copy
is made at. Stored and on the ledger (which takes no floats) times are whole milliseconds
and boxes whole ten-thousandths (``to_dict``/``from_dict``). Every mark has its legal ground (国家秘密 / 商业秘密 / 个人隐私, the same codes as
a document's marks) and the reason the approver wrote. ``tracks`` turns the detector's
boxes, sampled a few times a second, into one proposed cover per face seen.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from liuhen.domain.redaction import GROUNDS, REASON_MAX

KINDS: dict[str, str] = {
    "face": "人脸",
    "plate": "车牌",
    "other": "其他画面",
}
"""What a cover hides."""
MUTE_KIND = "mute"
MUTE_NAME = "声音"
MARGIN = 0.25
"""A detected face box is grown by this share of its size on every side (hair, ears)."""

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Cover:
    """A blurred region of file ``file`` (its position in the record) over [start, end)."""

    file: int
    start: float
    end: float
    box: Box
    kind: str
    ground: str
    reason: str = ""
    track: tuple[tuple[float, Box], ...] = field(default=())

    def box_at(self, t: float) -> Box | None:
        """The region at ``t`` seconds, or None outside [start, end)."""
        if not self.start <= t < self.end:
            return None
        if not self.track:
            return self.box
        i = bisect_right(self.track, t, key=_time)  # the track is in time order
        if i == 0:
            return self.track[0][1]
        if i == len(self.track):
            return self.track[-1][1]
        (t0, b0), (t1, b1) = self.track[i - 1], self.track[i]
        w = (t - t0) / (t1 - t0)
        return (
            b0[0] + (b1[0] - b0[0]) * w,
            b0[1] + (b1[1] - b0[1]) * w,
            b0[2] + (b1[2] - b0[2]) * w,
            b0[3] + (b1[3] - b0[3]) * w,
        )

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "type": "cover",
            "file": self.file,
            "start": _ms(self.start),
            "end": _ms(self.end),
            "box": _parts(self.box),
            "kind": self.kind,
            "ground": self.ground,
            "reason": self.reason,
        }
        if self.track:
            out["track"] = [[_ms(t), *_parts(b)] for t, b in self.track]
        return out


@dataclass(frozen=True, slots=True)
class Mute:
    """The sound of file ``file`` silenced over [start, end)."""

    file: int
    start: float
    end: float
    ground: str
    reason: str = ""
    kind: str = MUTE_KIND

    def to_dict(self) -> dict[str, object]:
        return {
            "type": "mute",
            "file": self.file,
            "start": _ms(self.start),
            "end": _ms(self.end),
            "ground": self.ground,
            "reason": self.reason,
        }


Mark = Cover | Mute


def _time(point: tuple[float, Box]) -> float:
    return point[0]


PARTS = 10_000


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _parts(box: Box) -> list[int]:
    return [round(v * PARTS) for v in box]


def from_dict(raw: Mapping[str, object]) -> Mark:
    """A stored or posted mark (bad numbers become -1, so ``problems`` names them)."""
    common = {
        "file": int(_num(raw.get("file"), -1)),
        "start": _num(raw.get("start"), -1000) / 1000,
        "end": _num(raw.get("end"), -1000) / 1000,
        "ground": str(raw.get("ground", "")),
        "reason": str(raw.get("reason", "") or "").strip(),
    }
    if raw.get("type") == "mute":
        return Mute(**common)  # type: ignore[arg-type]
    return Cover(
        box=_box(raw.get("box"), PARTS) or (-1.0, -1.0, -1.0, -1.0),
        kind=str(raw.get("kind", "")),
        track=_track(raw.get("track")),
        **common,  # type: ignore[arg-type]
    )


def _box(raw: object, scale: float) -> Box | None:
    if not isinstance(raw, list | tuple) or len(raw) != 4:
        return None
    x, y, w, h = (_num(v, -scale) / scale for v in raw)
    return (x, y, w, h)


def _track(raw: object) -> tuple[tuple[float, Box], ...]:
    points: list[tuple[float, Box]] = []
    for p in raw if isinstance(raw, list | tuple) else ():
        box = _box(p[1:], PARTS) if isinstance(p, list | tuple) and len(p) == 5 else None
        if box is not None:
            points.append((_num(p[0]) / 1000, box))
    return tuple(points)


def _num(value: object, default: float = -1.0) -> float:
    try:
        return float(str(value))
    except ValueError:
        return default


def problems(durations: Mapping[int, float], marks: Sequence[Mark]) -> list[str]:
    """Every problem of ``marks`` as ``"marks[i].field: 说明"`` (i from 1); ``durations``
    maps each video file's position to its length in seconds."""
    out: list[str] = []
    for n, mark in enumerate(marks, start=1):
        where = f"marks[{n}]"
        name = "静音" if isinstance(mark, Mute) else "遮盖"
        length = durations.get(mark.file)
        if length is None:
            out.append(f"{where}.file: 第 {n} 处{name}所在的文件不是本记录的视频")
            continue
        if not 0 <= mark.start < mark.end <= length + 0.5:
            out.append(
                f"{where}.end: 第 {n} 处{name}的时间（{mark.start:g}–{mark.end:g} 秒）应在 0 至 "
                f"{length:.1f} 秒之间，且起点早于终点"
            )
        if isinstance(mark, Cover):
            x, y, w, h = mark.box
            if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 and 0 < h <= 1):
                out.append(f"{where}.box: 第 {n} 处遮盖的画面位置应在画面之内（0–100%）")
            if mark.kind not in KINDS:
                out.append(
                    f"{where}.kind: 第 {n} 处遮盖请选择内容类别（{'、'.join(KINDS.values())}）"
                )
        if mark.ground not in GROUNDS:
            out.append(
                f"{where}.ground: 第 {n} 处{name}请选择法定理由（{'、'.join(GROUNDS.values())}）"
            )
        if not mark.reason:
            out.append(f"{where}.reason: 第 {n} 处{name}须写明理由")
        elif len(mark.reason) > REASON_MAX:
            out.append(f"{where}.reason: 第 {n} 处{name}的理由过长（最多 {REASON_MAX} 字）")
    return out


def ordered(marks: Sequence[Mark]) -> list[Mark]:
    """Covers first, then mutes; each by file and time (the number a mark is shown with)."""
    return sorted(marks, key=lambda m: (isinstance(m, Mute), m.file, m.start, m.end))


def covers_at(marks: Sequence[Mark], file: int, t: float) -> list[Box]:
    """The regions of file ``file`` to blur at ``t`` seconds."""
    found = []
    for m in marks:
        if isinstance(m, Cover) and m.file == file:
            box = m.box_at(t)
            if box is not None:
                found.append(box)
    return found


def mutes_of(marks: Sequence[Mark], file: int) -> list[tuple[float, float]]:
    return [(m.start, m.end) for m in marks if isinstance(m, Mute) and m.file == file]


def grown(box: Box, margin: float = MARGIN) -> Box:
    """``box`` grown by ``margin`` of its size on every side, kept inside the picture."""
    x, y, w, h = box
    x0, y0 = max(0.0, x - w * margin), max(0.0, y - h * margin)
    x1, y1 = min(1.0, x + w * (1 + margin)), min(1.0, y + h * (1 + margin))
    return (x0, y0, x1 - x0, y1 - y0)


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def tracks(
    samples: Sequence[tuple[float, Sequence[Box]]],
    step: float,
    *,
    file: int,
    reason: str,
    join: float = 0.2,
    gap: int = 3,
) -> list[Cover]:
    """Proposed covers from the detector's boxes at sampled times (in time order): a box
    overlapping (``join``) the last box of a face seen within ``gap`` samples continues that
    face; each face becomes one cover from its first sighting to a step after its last,
    moving along its boxes. Grounds default to 个人隐私."""
    open_: list[list[tuple[float, Box]]] = []
    done: list[list[tuple[float, Box]]] = []
    for t, boxes in samples:
        for track in [k for k in open_ if t - k[-1][0] > gap * step + 1e-6]:
            open_.remove(track)
            done.append(track)
        taken: set[int] = set()
        for box in boxes:
            best = max(
                (k for i, k in enumerate(open_) if i not in taken),
                key=lambda k: overlap(k[-1][1], box),
                default=None,
            )
            if best is not None and overlap(best[-1][1], box) >= join:
                best.append((t, box))
                taken.add(open_.index(best))
            else:
                open_.append([(t, box)])
                taken.add(len(open_) - 1)
    done += open_
    done.sort(key=lambda k: k[0][0])
    return [
        Cover(
            file=file,
            start=max(0.0, k[0][0] - step / 2),
            end=k[-1][0] + step,
            box=_hull([b for _, b in k]),
            kind="face",
            ground="privacy",
            reason=reason,
            track=tuple((t, grown(b)) for t, b in k),
        )
        for k in done
    ]


def _hull(boxes: Sequence[Box]) -> Box:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return grown((x0, y0, x1 - x0, y1 - y0))
