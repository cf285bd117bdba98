"""File-name patterns per vendor, the start-time resolver and its sources, safe names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from liuhen.errors import InvalidInput
from liuhen.media.naming import (
    DEFAULT_PATTERNS,
    load_patterns,
    parse_media_time,
    parse_name,
    resolve_start,
    safe_name,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=TZ)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "DSJ-V9-0001_20261120093000.mp4",
            {"pattern": "serial_start", "device": "DSJ-V9-0001", "start": at(2026, 11, 20, 9, 30)},
        ),
        (
            "DSJ-V9-0001_20261120093000_0002.MP4",
            {"device": "DSJ-V9-0001", "segment": 2, "start": at(2026, 11, 20, 9, 30)},
        ),
        (
            "20261120_093000_0001_14010020230001.MP4",
            {
                "pattern": "date_time_segment_officer",
                "officer": "14010020230001",
                "segment": 1,
                "start": at(2026, 11, 20, 9, 30),
            },
        ),
        (
            "DSJ00123_000456_20261120093000_20261120100000.mp4",
            {
                "device": "DSJ00123",
                "officer": "000456",
                "start": at(2026, 11, 20, 9, 30),
                "end": at(2026, 11, 20, 10, 0),
            },
        ),
        ("IMG_20261120_093512.jpg", {"start": at(2026, 11, 20, 9, 35, 12)}),
        ("REC20261120093000.WAV", {"pattern": "recorder_start", "start": at(2026, 11, 20, 9, 30)}),
        ("IMG_0001.JPG", {"pattern": "camera_counter", "segment": 1, "start": None}),
    ],
)
def test_shipped_patterns_read_device_officer_time_and_segment(name, expected):
    match = parse_name(name, tz=TZ)
    assert match is not None
    for key, value in expected.items():
        assert getattr(match, key) == value, key


def test_every_shipped_pattern_matches_its_own_example():
    for pattern in DEFAULT_PATTERNS:
        match = parse_name(pattern.example, [pattern], tz=TZ)
        assert match is not None and match.pattern == pattern.name


def test_a_name_with_an_impossible_date_keeps_the_device_and_says_why_there_is_no_time():
    match = parse_name("DSJ-V9-0001_20261340093000.mp4", tz=TZ)
    assert match is not None and match.device == "DSJ-V9-0001" and match.start is None
    assert "20261340093000" in match.problem


def test_unknown_names_match_nothing():
    assert parse_name("会议记录.mp4", tz=TZ) is None
    assert parse_name("DSJ-V9-0001_20261120093000.exe", tz=TZ) is None


def test_an_agency_pattern_is_tried_before_the_shipped_ones():
    patterns = load_patterns(
        [
            {
                "name": "hik_like",
                "vendor": "某厂商",
                "regex": r"^(?P<officer>\d{6})_(?P<start>\d{14})_(?P<device>[A-Z0-9]+)\.mp4$",
                "example": "000123_20261120093000_HK01.mp4",
            }
        ]
    )
    match = parse_name("000123_20261120093000_HK01.mp4", patterns, tz=TZ)
    assert match is not None and match.pattern == "hik_like"
    assert (match.officer, match.device, match.start) == ("000123", "HK01", at(2026, 11, 20, 9, 30))
    assert len(patterns) == len(DEFAULT_PATTERNS) + 1


def test_bad_patterns_are_all_reported_with_their_place():
    with pytest.raises(InvalidInput) as err:
        load_patterns(
            [
                {"name": "ok_one", "regex": r"^(?P<start>\d{14})\.mp4$"},
                {"name": "Bad Name", "regex": "x"},
                {"name": "broken", "regex": "(?P<start>"},
                {"name": "odd_group", "regex": r"(?P<camera>\w+)"},
                {"name": "half_time", "regex": r"(?P<date>\d{8})"},
                {"name": "no_regex"},
                {"name": "wrong_example", "regex": r"^(?P<start>\d{14})$", "example": "abc"},
                "not a mapping",
            ]
        )
    details = "\n".join(err.value.details)
    for place in range(1, 8):
        assert f"patterns[{place}]" in details
    assert "patterns[0]" not in details
    assert "camera" in details and "date 与 time" in details


def test_manifest_wins_then_device_metadata_then_file_name_then_officer():
    manifest, meta, name, officer = (at(2026, 11, 20, 9, 30, s) for s in (0, 1, 2, 3))
    order = [
        ({"manifest": manifest, "device_metadata": meta, "file_name": name}, "manifest"),
        ({"device_metadata": meta, "file_name": name, "officer": officer}, "device_metadata"),
        ({"file_name": name, "officer": officer}, "file_name"),
        ({"officer": officer}, "officer"),
    ]
    for candidates, source in order:
        resolved = resolve_start(candidates, now=NOW)
        assert resolved.source == source
        assert resolved.start == candidates[source]
        assert resolved.warnings == ()
        assert resolved.as_dict()["source"] == source


def test_an_implausible_device_clock_is_not_used_and_the_reason_is_kept():
    resolved = resolve_start(
        {"device_metadata": datetime(1970, 1, 1, tzinfo=UTC), "file_name": at(2026, 11, 20, 9)},
        now=NOW,
    )
    assert resolved.source == "file_name"
    assert "不可信" in resolved.warnings[0]
    future = resolve_start({"device_metadata": NOW + timedelta(days=3)}, now=NOW)
    assert future.start is None and future.source is None


def test_a_whole_hours_disagreement_points_at_the_device_time_zone():
    local_as_utc = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # device wrote 09:30 local as UTC
    resolved = resolve_start(
        {"device_metadata": local_as_utc, "file_name": at(2026, 11, 20, 9, 30)}, now=NOW
    )
    assert resolved.source == "device_metadata"
    assert len(resolved.warnings) == 1
    assert "相差 8小时" in resolved.warnings[0] and "时区" in resolved.warnings[0]


def test_small_disagreements_within_five_seconds_are_not_reported():
    resolved = resolve_start(
        {"device_metadata": at(2026, 11, 20, 9, 30, 0), "file_name": at(2026, 11, 20, 9, 30, 4)},
        now=NOW,
    )
    assert resolved.warnings == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-20T01:30:00.000000Z", datetime(2026, 11, 20, 1, 30, tzinfo=UTC)),
        ("2026-11-20T09:30:00+08:00", at(2026, 11, 20, 9, 30)),
        ("2026-11-20 09:30:00", at(2026, 11, 20, 9, 30)),
        ("2026/11/20 09:30:00", at(2026, 11, 20, 9, 30)),
        ("20261120093000", at(2026, 11, 20, 9, 30)),
        ("yesterday", None),
        ("", None),
    ],
)
def test_media_times_without_a_zone_are_local(raw, expected):
    assert parse_media_time(raw, TZ) == expected


def test_safe_names_keep_chinese_spaces_and_quotes_but_escape_control_characters():
    assert safe_name("现场 \"录像\" '1'.mp4") == "现场 \"录像\" '1'.mp4"
    assert safe_name("a\nb\tc\r.mp4") == "a\\nb\\tc\\r.mp4"
    assert safe_name("evil\u202egnp.mp4") == "evil\\u202egnp.mp4"
    assert safe_name("bad\udcff.mp4") == "bad\\xff.mp4"
    long = safe_name("长" * 400 + ".mp4")
    assert len(long) <= 255 and long.endswith(".mp4")
