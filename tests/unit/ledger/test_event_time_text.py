"""A PostgreSQL event time as its bytes hold it (``event_rows.utc_text``): a time the driver
gives at offset zero, in whatever zone object, is written as it is; any other offset is
converted to UTC first; a naive time is not one LiuHen wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from liuhen.store.event_rows import utc_text

_ZONES = st.sampled_from(
    [
        UTC,
        ZoneInfo("Etc/UTC"),
        timezone(timedelta(0)),
        ZoneInfo("Asia/Shanghai"),
        timezone(timedelta(hours=-5, minutes=-30)),
    ]
)


@settings(deadline=None)  # pure; a loaded machine's first example was over the 200 ms
@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)), _ZONES)
def test_the_text_is_the_time_in_utc(when: datetime, zone: object) -> None:
    aware = when.replace(tzinfo=zone)  # type: ignore[arg-type]
    assert utc_text(aware) == aware.astimezone(UTC).isoformat()
    assert utc_text(aware).endswith("+00:00")  # type: ignore[union-attr]


def test_a_shanghai_time_is_written_in_utc() -> None:
    when = datetime(2026, 12, 6, 12, 0, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert utc_text(when) == "2026-12-06T04:00:00.000005+00:00"


def test_a_naive_time_has_no_text() -> None:
    assert utc_text(datetime(2026, 12, 6, 4, 0)) is None
