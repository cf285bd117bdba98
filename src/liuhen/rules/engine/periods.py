"""Periods ("24h", "2 working days", "30 days") and the deadlines they give.

Counting follows 民事诉讼法§85 (and 行政处罚法§85): the start hour and day are not counted;
a day-based period that ends on a day off ends on the next working day instead. Hour-based
periods are plain elapsed hours. Working days come only from ``WorkingDays``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from liuhen.rules.engine.calendar import CalendarUnknown, WorkingDays

UNITS = ("seconds", "minutes", "hours", "days", "working_days")
_UNIT_WORDS = {
    "s": "seconds", "sec": "seconds", "second": "seconds", "seconds": "seconds", "秒": "seconds",
    "min": "minutes", "minute": "minutes", "minutes": "minutes", "分钟": "minutes",
    "h": "hours", "hour": "hours", "hours": "hours", "小时": "hours",
    "d": "days", "day": "days", "days": "days", "日": "days", "天": "days",
    "working day": "working_days", "working days": "working_days", "个工作日": "working_days",
    "工作日": "working_days",
}  # fmt: skip
_PATTERN = re.compile(r"^\s*(\d+)\s*([a-z\u4e00-\u9fff ]+?)\s*$")
_LABELS = {
    "seconds": "秒",
    "minutes": "分钟",
    "hours": "小时",
    "days": "日",
    "working_days": "个工作日",
}


@dataclass(frozen=True, slots=True)
class Period:
    amount: int
    unit: str

    @classmethod
    def parse(cls, text: object) -> Period:
        """Parse ``24h``, ``2 working days``, ``30 days``, ``2个工作日``; ValueError otherwise."""
        match = _PATTERN.match(str(text)) if isinstance(text, str | int) else None
        unit = _UNIT_WORDS.get(match.group(2).strip()) if match else None
        if match is None or unit is None:
            raise ValueError(f"{text!r} 不是有效的期限（例：24h、2 working days、30 days）")
        return cls(int(match.group(1)), unit)

    def __str__(self) -> str:
        return f"{self.amount}{_LABELS[self.unit]}"

    @property
    def is_exact(self) -> bool:
        """Elapsed-time periods (seconds to hours) need no calendar."""
        return self.unit in ("seconds", "minutes", "hours")

    def as_timedelta(self) -> timedelta:
        return (
            timedelta(**{self.unit: self.amount}) if self.is_exact else timedelta(days=self.amount)
        )


@dataclass(frozen=True, slots=True)
class Due:
    """The last moment a period allows, or the reason it cannot be known yet.

    ``at`` is inclusive (for day-based periods the last second of the last day). When the
    calendar lacks the year, ``at`` is None, ``unknown_year`` names the year, and ``floor``
    is the earliest the deadline can possibly be (anything done by then is surely in time).
    """

    at: datetime | None
    unknown_year: int | None = None
    floor: datetime | None = None

    def met_by(self, moment: datetime) -> bool | None:
        """True/False when decidable; None when the calendar cannot tell."""
        if self.at is not None:
            return moment < self.at + timedelta(seconds=1)
        if self.floor is not None and moment < self.floor + timedelta(seconds=1):
            return True
        return None


def _end_of(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tz)


def due_after(start: datetime, period: Period, calendar: WorkingDays, tz: tzinfo) -> Due:
    """The deadline of ``period`` counted from ``start`` (start day not counted)."""
    if period.is_exact:
        return Due(start + period.as_timedelta())
    first = start.astimezone(tz).date()
    floor = _end_of(first + timedelta(days=period.amount), tz)
    try:
        if period.unit == "working_days":
            last = calendar.add_working_days(first, period.amount)
        else:
            last = calendar.roll_to_workday(first + timedelta(days=period.amount))
    except CalendarUnknown as exc:
        return Due(None, exc.year, floor)
    return Due(_end_of(last, tz))
