"""Working days come from the Chinese holiday calendar, never from weekdays alone."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from tests.samples import at

from liuhen.errors import InvalidInput
from liuhen.rules.engine.calendar import CalendarUnknown
from liuhen.rules.engine.periods import Period, due_after
from liuhen.rules.sources.calendar import WorkCalendar, load_overrides

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 14), True),  # Saturday made a working day (调休) before Spring Festival
        (date(2026, 2, 15), False),
        (date(2026, 2, 17), False),  # Tuesday inside the Spring Festival holiday
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday working day after Spring Festival
        (date(2026, 9, 20), True),  # Sunday working day before National Day
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday working day after National Day
        (date(2026, 11, 21), False),  # an ordinary Saturday
    ],
)
def test_2026_official_schedule(cal: WorkCalendar, day: date, working: bool) -> None:
    assert cal.is_workday(day) is working


def test_two_working_days_across_spring_festival_count_the_adjusted_saturday(
    cal: WorkCalendar,
) -> None:
    # Friday 2/13 evening: 2/14 (调休 Saturday) is day 1, then nothing until 2/24 (day 2).
    due = due_after(at("2026-02-13 19:00"), Period.parse("2 working days"), cal, TZ)
    assert due.at == at("2026-02-24 23:59:59")


def test_two_working_days_before_national_day_skip_the_whole_holiday(cal: WorkCalendar) -> None:
    due = due_after(at("2026-09-30 10:00"), Period.parse("2 working days"), cal, TZ)
    assert due.at == at("2026-10-09 23:59:59")  # 10/8 is day 1, 10/9 day 2


def test_sunday_working_day_counts_before_national_day(cal: WorkCalendar) -> None:
    due = due_after(at("2026-09-18 18:00"), Period.parse("1 working day"), cal, TZ)
    assert due.at == at("2026-09-20 23:59:59")


def test_calendar_day_period_ending_in_a_holiday_rolls_to_the_next_working_day(
    cal: WorkCalendar,
) -> None:
    # 民事诉讼法§85: start day not counted; 9/24 + 7 days = 10/1, a holiday -> 10/8.
    due = due_after(at("2026-09-24 10:00"), Period.parse("7 days"), cal, TZ)
    assert due.at == at("2026-10-08 23:59:59")


def test_calendar_day_period_ending_on_an_adjusted_saturday_does_not_roll(
    cal: WorkCalendar,
) -> None:
    due = due_after(at("2026-10-03 10:00"), Period.parse("7 days"), cal, TZ)
    assert due.at == at("2026-10-10 23:59:59")


def test_hour_periods_are_plain_elapsed_hours_even_over_holidays(cal: WorkCalendar) -> None:
    due = due_after(at("2026-09-30 20:00"), Period.parse("24h"), cal, TZ)
    assert due.at == at("2026-10-01 20:00")


def test_unknown_year_is_reported_not_computed_from_weekdays(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarUnknown) as exc:
        cal.is_workday(date(2027, 1, 4))
    assert exc.value.year == 2027
    due = due_after(at("2026-12-30 18:00"), Period.parse("2 working days"), cal, TZ)
    assert due.at is None and due.unknown_year == 2027
    assert due.met_by(at("2026-12-31 10:00")) is True  # surely in time whatever 2027 brings
    assert due.met_by(at("2027-01-05 10:00")) is None


def test_admin_override_file_makes_a_year_known(tmp_path) -> None:
    f = tmp_path / "2027.yaml"
    f.write_text(
        "2027:\n  holidays: [2027-01-01, 2027-02-06..2027-02-13]\n  workdays: [2027-02-14]\n",
        "utf-8",
    )
    cal = WorkCalendar.from_files([f])
    assert cal.is_known(2027) and not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 2, 14)) and not cal.is_workday(date(2027, 2, 8))
    due = due_after(at("2026-12-30 18:00"), Period.parse("2 working days"), cal, TZ)
    assert due.at == at("2027-01-04 23:59:59")


def test_override_file_in_json_is_accepted(tmp_path) -> None:
    f = tmp_path / "2027.json"
    f.write_text('{"2027": {"holidays": ["2027-10-01..2027-10-07"], "workdays": []}}', "utf-8")
    assert not WorkCalendar.from_files([f]).is_workday(date(2027, 10, 4))


def test_bad_override_file_lists_every_problem(tmp_path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(
        "2027:\n  holidays: [2027-13-01, 2028-01-01]\n  workdays: [2027-01-01]\n  extra: 1\nabc: {}\n",
        "utf-8",
    )
    with pytest.raises(InvalidInput) as exc:
        load_overrides(f)
    text = "\n".join(exc.value.details)
    assert (
        "'2027-13-01'" in text
        and "不在 2027 年" in text
        and "未知字段 extra" in text
        and "'abc' 不是年份" in text
    )
