"""Recordings, gaps, overlaps and coverage of an act: the arithmetic, no files."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from liuhen.media.continuity import (
    Segment,
    coverage,
    find_gaps,
    group_recordings,
    join_distance,
    merge,
    recording,
    segments_from,
)

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 30, tzinfo=TZ)


def seg(key: str, start_s: float, seconds: float, device: str = "DSJ-1") -> Segment:
    start = T0 + timedelta(seconds=start_s)
    return Segment(key, start, start + timedelta(seconds=seconds), device)


def three_segments_with_a_four_minute_gap() -> list[Segment]:
    """09:30:00–09:40:00, 09:40:00–09:50:00, pause, 09:54:00–10:00:00 (given out of order)."""
    return [seg("c.mp4", 1440, 360), seg("a.mp4", 0, 600), seg("b.mp4", 600, 600)]


def test_a_recording_cut_in_three_segments_has_one_four_minute_gap():
    rec = recording(three_segments_with_a_four_minute_gap())
    assert [s.key for s in rec.segments] == ["a.mp4", "b.mp4", "c.mp4"]
    assert len(rec.gaps) == 1
    gap = rec.gaps[0]
    assert (gap.after, gap.before) == ("b.mp4", "c.mp4")
    assert gap.start == T0 + timedelta(minutes=20) and gap.end == T0 + timedelta(minutes=24)
    assert gap.seconds == 240
    assert not rec.continuous and rec.overlaps == ()
    assert rec.recorded == timedelta(minutes=26)
    data = rec.as_dict()
    assert data["gaps"][0]["seconds"] == 240 and data["continuous"] is False


def test_the_tolerance_decides_what_counts_as_a_gap():
    segments = [seg("a", 0, 10), seg("b", 11.5, 10), seg("c", 24.5, 10)]
    gaps, _ = find_gaps(segments)  # default 2 s: only the 3 s pause
    assert [(g.after, g.before) for g in gaps] == [("b", "c")]
    gaps, _ = find_gaps(segments, tolerance=timedelta(seconds=5))
    assert gaps == ()
    gaps, _ = find_gaps(segments, tolerance=timedelta(seconds=1))
    assert len(gaps) == 2


def test_overlapping_segments_are_reported_as_a_clock_problem_not_hidden():
    gaps, overlaps = find_gaps([seg("a", 0, 60), seg("b", 50, 60), seg("c", 110, 5)])
    assert gaps == ()
    assert len(overlaps) == 1 and overlaps[0].first == "a" and overlaps[0].seconds == 10


def test_segments_are_grouped_by_device_and_a_long_pause_starts_a_new_recording():
    segments = [
        seg("a1", 0, 300, "DSJ-1"),
        seg("a2", 300, 300, "DSJ-1"),
        seg("b1", 60, 120, "DSJ-2"),
        seg("a3", 600 + 31 * 60, 60, "DSJ-1"),  # 31 minutes later
        seg("x", 30, 10, ""),
        seg("y", 45, 10, ""),
    ]
    recordings = group_recordings(segments)
    keys = sorted([s.key for s in r.segments] for r in recordings)
    assert keys == [["a1", "a2"], ["a3"], ["b1"], ["x"], ["y"]]
    joined = group_recordings(segments, max_pause=timedelta(hours=1))
    assert ["a1", "a2", "a3"] in [[s.key for s in r.segments] for r in joined]
    assert [r.start for r in recordings] == sorted(r.start for r in recordings)


def test_a_segment_overlapping_the_last_by_more_than_the_tolerance_starts_a_new_recording():
    recordings = group_recordings([seg("a", 0, 600), seg("b", 599, 60), seg("c", 300, 60)])
    assert sorted([s.key for s in r.segments] for r in recordings) == [["a", "b"], ["c"]]


def test_a_four_minute_pause_stays_inside_the_recording():
    recordings = group_recordings(three_segments_with_a_four_minute_gap())
    assert len(recordings) == 1 and len(recordings[0].gaps) == 1


def test_coverage_of_an_act_names_the_late_start_the_early_end_and_the_gap():
    act_start, act_end = T0 - timedelta(minutes=1), T0 + timedelta(minutes=32)
    cov = coverage(three_segments_with_a_four_minute_gap(), act_start, act_end)
    assert cov.starts_late == timedelta(minutes=1)
    assert cov.ends_early == timedelta(minutes=2)
    assert cov.uncovered == (
        (act_start, T0),
        (T0 + timedelta(minutes=20), T0 + timedelta(minutes=24)),
        (T0 + timedelta(minutes=30), act_end),
    )
    assert cov.covered == timedelta(minutes=26)
    assert cov.ratio == pytest.approx(26 / 33)
    assert not cov.complete
    assert cov.as_dict()["starts_late_seconds"] == 60


def test_footage_from_two_devices_together_can_cover_an_act_completely():
    footage = [seg("a", 0, 600, "DSJ-1"), seg("b", 590, 600, "DSJ-2")]
    cov = coverage(footage, T0 + timedelta(seconds=1), T0 + timedelta(seconds=1189))
    assert cov.complete and cov.starts_late is None and cov.ends_early is None
    assert cov.ratio == 1.0


def test_coverage_of_an_act_still_open_checks_only_the_start():
    cov = coverage([seg("a", 30, 60)], T0, None)
    assert cov.starts_late == timedelta(seconds=30) and cov.ends_early is None
    assert cov.ratio is None


def test_an_act_without_any_footage_is_wholly_uncovered():
    cov = coverage([], T0, T0 + timedelta(minutes=5))
    assert cov.first is None and cov.uncovered == ((T0, T0 + timedelta(minutes=5)),)
    assert not cov.complete


def test_merge_joins_touching_spans_within_the_tolerance():
    spans = merge([seg("a", 0, 10), seg("b", 11, 10)], tolerance=timedelta(seconds=2))
    assert spans == [(T0, T0 + timedelta(seconds=21))]


def test_segments_come_back_from_a_stored_av_record():
    details = {
        "device_id": "dev-1",
        "segments": [
            {"start": "2026-11-20T09:30:00+08:00", "end": "2026-11-20T09:40:00+08:00"},
            {
                "start": "2026-11-20T09:44:00+08:00",
                "end": "2026-11-20T09:50:00+08:00",
                "file_name": "b.mp4",
            },
        ],
    }
    segments = segments_from(details)
    assert [s.key for s in segments] == ["0", "b.mp4"] and segments[1].device == "dev-1"
    assert recording(segments).gaps[0].seconds == 240


def test_segments_need_aware_times_in_order():
    with pytest.raises(ValueError, match="timezone"):
        Segment("a", datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 1))
    with pytest.raises(ValueError, match="end before start"):
        Segment("a", T0, T0 - timedelta(seconds=1))


def test_join_distance_after_before_inside_a_hole_and_refusals() -> None:
    held = [seg("a", 0, 60), seg("c", 300, 60)]  # 09:30:00–01:00, hole, 09:35:00–36:00
    assert join_distance(held, [seg("d", 360, 60)]) == timedelta()  # right after
    assert join_distance(held, [seg("d", 360 + 600, 60)]) == timedelta(minutes=10)
    assert join_distance(held, [seg("z", -1200, 60)]) == timedelta(minutes=19)  # before
    assert join_distance(held, [seg("b", 60, 60)]) == timedelta()  # fills the hole
    assert join_distance(held, [seg("d", 360 + 1801, 60)]) is None  # beyond 30 minutes
    assert join_distance(held, [seg("d", 360 + 1801, 60)], max_pause=timedelta(hours=1))
    assert join_distance(held, [seg("x", 30, 60)]) is None  # overlaps a held segment
    assert join_distance(held, [seg("x", 59, 60)]) == timedelta()  # within the tolerance
    assert join_distance([], [seg("x", 0, 1)]) is None
