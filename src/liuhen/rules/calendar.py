"""The working-day calendar: Chinese public holidays and adjusted working days (调休).

Data comes from the ``chinese_calendar`` package (2004–2026 at the time of writing) plus
schedules an administrator loads for other years (a small YAML or JSON file, see
``load_overrides``). A year with neither is *unknown*: asking about it raises
``CalendarUnknown`` instead of guessing from weekdays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import yaml

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


def _package_schedules() -> dict[int, YearSchedule]:
    holidays: dict[int, set[date]] = {}
    workdays: dict[int, set[date]] = {}
    for d in chinese_calendar.holidays:
        holidays.setdefault(d.year, set()).add(d)
    for d in chinese_calendar.workdays:
        workdays.setdefault(d.year, set()).add(d)
    first, last = min(holidays), max(holidays)
    return {
        y: YearSchedule(y, frozenset(holidays.get(y, ())), frozenset(workdays.get(y, ())))
        for y in range(first, last + 1)
    }


_PACKAGE: dict[int, YearSchedule] | None = None


class WorkCalendar:
    """Answers "is this a working day?" for the years it knows, and refuses the others."""

    def __init__(
        self, overrides: Mapping[int, YearSchedule] | None = None, *, use_package: bool = True
    ) -> None:
        global _PACKAGE
        years: dict[int, YearSchedule] = {}
        if use_package:
            if _PACKAGE is None:
                _PACKAGE = _package_schedules()
            years.update(_PACKAGE)
        years.update(overrides or {})
        self._years = years
        self._cache: dict[date, bool] = {}
        self.key = schedules_key(overrides or {})
        """Names the schedules beyond the package's ("" for none): a summary judged with
        another key is judged again (a year loaded since may turn unknown deadlines known)."""

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> WorkCalendar:
        """The package data plus every schedule in ``paths`` (later files win)."""
        overrides: dict[int, YearSchedule] = {}
        for path in paths:
            overrides.update(load_overrides(path))
        return cls(overrides)

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


def package_years() -> tuple[int, ...]:
    """The years the ``chinese_calendar`` package knows."""
    global _PACKAGE
    if _PACKAGE is None:
        _PACKAGE = _package_schedules()
    return tuple(sorted(_PACKAGE))


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


def load_overrides(path: str | Path, name: str | None = None) -> dict[int, YearSchedule]:
    """Read a YAML or JSON schedule file (see ``parse_overrides``); messages call it
    ``name`` (an uploaded file's own name) or its path."""
    p = Path(path)
    label = name or str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"无法读取节假日安排文件 {label}：{exc.strerror}") from exc
    except UnicodeDecodeError:
        raise InvalidInput(f"节假日安排文件 {label} 不是 UTF-8 文本") from None
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.load(text, Loader=yaml.BaseLoader)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(f"节假日安排文件 {label} 无法解析：{exc}") from exc
    return parse_overrides(data, label)
