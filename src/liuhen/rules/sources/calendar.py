"""Where working days come from: the ``chinese_calendar`` package and administrators' files.

The package knows 2004–2026 at the time of writing; an administrator loads a schedule for
another year from a small YAML or JSON file (``load_overrides``, checked by
``parse_overrides``). ``WorkCalendar`` is the engine's ``WorkingDays`` over the package's
years with such schedules on top; a year with neither stays unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path

import chinese_calendar
import yaml

from liuhen.errors import InvalidInput
from liuhen.rules.engine.calendar import (
    WorkingDays,
    YearSchedule,
    parse_overrides,
    schedules_key,
)


@cache
def package_schedules() -> dict[int, YearSchedule]:
    """Every year the ``chinese_calendar`` package knows (read once; do not mutate)."""
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


def package_years() -> tuple[int, ...]:
    """The years the ``chinese_calendar`` package knows."""
    return tuple(sorted(package_schedules()))


class WorkCalendar(WorkingDays):
    """The package's years with ``overrides`` on top (an override wins); its ``key`` names
    the overrides."""

    def __init__(self, overrides: Mapping[int, YearSchedule] | None = None) -> None:
        extra = dict(overrides or {})
        super().__init__({**package_schedules(), **extra}, key=schedules_key(extra))

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> WorkCalendar:
        """The package data plus every schedule in ``paths`` (later files win)."""
        overrides: dict[int, YearSchedule] = {}
        for path in paths:
            overrides.update(load_overrides(path))
        return cls(overrides)


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
