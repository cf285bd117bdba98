"""The schedule example in docs/calendar.md parses and agrees with the package day by day
(an administrator copies its shape; it must not teach a wrong one)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import yaml

from liuhen.rules.engine.calendar import WorkingDays, parse_overrides
from liuhen.rules.sources.calendar import WorkCalendar

DOC = Path(__file__).parents[3] / "docs" / "calendar.md"


def test_the_documented_example_is_the_package_year_it_claims_to_be():
    block = re.search(r"```yaml\n(.*?)```", DOC.read_text("utf-8"), re.S)
    assert block is not None
    schedules = parse_overrides(yaml.load(block.group(1), Loader=yaml.BaseLoader), "doc")
    [(year, schedule)] = schedules.items()
    loaded, package = WorkingDays({year: schedule}), WorkCalendar()
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(365)]
    assert [loaded.is_workday(d) for d in days] == [package.is_workday(d) for d in days]
