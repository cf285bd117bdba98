"""What was actually watched of a recording: the player reports the time ranges played.

Opening a recording's page fetches nothing (the player does not preload), so the ledger
shows the page view and, only when someone presses play, the playback (``record.file_read``,
mode ``play``: the first byte range). When the player pauses, ends or the page is left, it
reports the parts of the file that were played (``record.watched``: ``ranges_ms`` and
``watched_ms``, milliseconds, as the ledger's canonical JSON holds integers only), so a
supervisor reviewing who saw a recording sees how much of it (000§18 实时调阅留痕).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from liuhen.errors import InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.access.queries.files import record_file_with_case
from liuhen.services.permissions import require, require_case
from liuhen.store.store import Store

MAX_RANGES = 200
MAX_SECONDS = 48 * 3600.0
"""No recording of one act runs longer; a report beyond it is refused, not trimmed."""


def parse_ranges(value: object) -> list[tuple[float, float]]:
    """``[[from, to], …]`` in seconds, each 0 ≤ from ≤ to ≤ ``MAX_SECONDS``; InvalidInput
    naming the JSON path of the first bad item."""
    if not isinstance(value, list) or not value:
        raise InvalidInput("ranges: 应为非空的时间段列表，如 [[0, 12.5]]")
    if len(value) > MAX_RANGES:
        raise InvalidInput(f"ranges: 时间段不能超过 {MAX_RANGES} 个")
    out = []
    for i, item in enumerate(value):
        ok = (
            isinstance(item, list)
            and len(item) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in item)
            and all(math.isfinite(x) for x in item)
            and 0 <= item[0] <= item[1] <= MAX_SECONDS
        )
        if not ok:
            raise InvalidInput(
                f"ranges[{i}]: 应为 [起, 止] 两个秒数，0 ≤ 起 ≤ 止 ≤ {MAX_SECONDS:.0f}"
            )
        out.append((float(item[0]), float(item[1])))
    return out


def record_watched(
    store: Store, actor: Actor, record_id: str, position: int, ranges: Sequence[tuple[float, float]]
) -> int:
    """Log that ``actor`` watched ``ranges`` of file ``position``; returns the event's seq."""
    require(actor, "case.read")
    row = record_file_with_case(store, record_id, position)
    if row is None:
        raise NotFound(f"file: 记录 {record_id} 没有第 {position} 个文件")
    require_case(store, actor, "case.read", row["case_id"])
    media = str(row["media_type"])
    if not media.startswith(("video/", "audio/")):
        raise InvalidInput(f"file: 第 {position} 个文件不是音视频，不能报告观看时段")
    merged = _merge(ranges)
    return store.record_view(
        actor,
        "record.watched",
        subject_type="record",
        subject_id=record_id,
        case_id=row["case_id"],
        payload={
            "position": position,
            "sha256": row["blob_sha256"],
            "ranges_ms": [[round(a * 1000), round(b * 1000)] for a, b in merged],
            "watched_ms": round(sum(b - a for a, b in merged) * 1000),
        },
    )


def _merge(ranges: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
