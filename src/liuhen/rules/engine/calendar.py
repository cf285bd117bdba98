"""Working days: Chinese public holidays and adjusted working days (调休), as plain data.

``WorkingDays`` answers for the years it is given and refuses the others: asking about an
unknown year raises ``CalendarUnknown`` instead of guessing from weekdays. Where the years
come from (the ``chinese_calendar`` package, an administrator's file, the database) is the
business of ``rules.sources.calendar``; ``parse_overrides`` checks an administrator's
schedule once it is parsed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from liuhen.errors import InvalidInput


class CalendarUnknown(Exception):
    """No holiday schedule is known for ``year``."""

    def __init__(self, year: int) -> None:
        super().__init__(f"{year}年的节假日安排未知")
        self.year = year


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """One year's official arrangement: days off on weekdays, and working weekend days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]


class WorkingDays:
    """Answers "is this a working day?" for the years it is given, and refuses the others."""

    def __init__(self, years: Mapping[int, YearSchedule], *, key: str = "") -> None:
        self._years = dict(years)
        self._cache: dict[date, bool] = {}
        self.key = key
        """Names the schedules beyond the official ones ("" for none), as whoever built the
        calendar says: a summary judged with another key is judged again (a year loaded
        since may turn unknown deadlines known)."""

    def known_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def is_known(self, year: int) -> bool:
        return year in self._years

    def schedule(self, year: int) -> YearSchedule:
        found = self._years.get(year)
        if found is None:
            raise CalendarUnknown(year)
        return found

    def is_workday(self, day: date) -> bool:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        schedule = self._years.get(day.year)
        if schedule is None:
            raise CalendarUnknown(day.year)
        result = day in schedule.workdays or (day.weekday() < 5 and day not in schedule.holidays)
        self._cache[day] = result
        return result

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (the start day itself is not counted)."""
        day = start
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def roll_to_workday(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day


def schedules_key(schedules: Mapping[int, YearSchedule]) -> str:
    """A short digest of ``schedules`` (which days of which years), "" when there are none."""
    if not schedules:
        return ""
    text = json.dumps(
        {
            str(y): [sorted(map(str, s.holidays)), sorted(map(str, s.workdays))]
            for y, s in sorted(schedules.items())
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _parse_day(value: object, where: str, problems: list[str]) -> list[date]:
    if isinstance(value, date):
        return [value]
    if isinstance(value, str):
        text = value.strip()
        try:
            if ".." in text:
                first_s, last_s = (p.strip() for p in text.split("..", 1))
                first, last = date.fromisoformat(first_s), date.fromisoformat(last_s)
                if last < first:
                    problems.append(f"{where}: 区间 {text} 的结束日期早于开始日期")
                    return []
                return [first + timedelta(days=i) for i in range((last - first).days + 1)]
            return [date.fromisoformat(text)]
        except ValueError:
            pass
    problems.append(
        f"{where}: {value!r} 不是日期（YYYY-MM-DD）或日期区间（YYYY-MM-DD..YYYY-MM-DD）"
    )
    return []


def parse_overrides(data: object, source: str = "<calendar>") -> dict[int, YearSchedule]:
    """Turn ``{2027: {holidays: [...], workdays: [...]}}`` into schedules, checking every day.

    A year listed here is defined entirely by the listing: weekdays are working days unless
    listed as holidays, weekend days are days off unless listed as workdays.
    """
    problems: list[str] = []
    result: dict[int, YearSchedule] = {}
    if not isinstance(data, Mapping):
        raise InvalidInput(
            f"节假日安排文件 {source} 格式错误", details=[f"{source}: 顶层应为以年份为键的映射"]
        )
    for key, entry in data.items():
        try:
            year = int(key)
        except (TypeError, ValueError):
            problems.append(f"{source}: {key!r} 不是年份")
            continue
        if not isinstance(entry, Mapping):
            problems.append(f"{source}: {year}: 应包含 holidays 和 workdays 列表")
            continue
        unknown = set(entry) - {"holidays", "workdays", "source", "note"}
        if unknown:
            problems.append(f"{source}: {year}: 未知字段 {', '.join(sorted(map(str, unknown)))}")
        days: dict[str, set[date]] = {}
        for name in ("holidays", "workdays"):
            items = entry.get(name, [])
            if not isinstance(items, list):
                problems.append(f"{source}: {year}.{name}: 应为列表")
                continue
            days[name] = set()
            for i, item in enumerate(items):
                for d in _parse_day(item, f"{source}: {year}.{name}[{i}]", problems):
                    if d.year != year:
                        problems.append(f"{source}: {year}.{name}[{i}]: {d} 不在 {year} 年")
                    days[name].add(d)
        both = days.get("holidays", set()) & days.get("workdays", set())
        if both:
            problems.append(f"{source}: {year}: {min(both)} 同时列为休息日和工作日")
        result[year] = YearSchedule(
            year, frozenset(days.get("holidays", ())), frozenset(days.get("workdays", ()))
        )
    if problems:
        raise InvalidInput(f"节假日安排文件 {source} 有 {len(problems)} 处错误", details=problems)
    return result
