from __future__ import annotations

import pytest
from tests.samples import at

from liuhen.rules import WorkCalendar, evaluate, load_profile

NOW = at("2026-11-23 09:00")


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="session")
def check(calendar: WorkCalendar):
    """``check(case, profile_id, now=NOW) -> list[Finding]``."""

    def run(case, profile_id="township-legal-office", now=NOW, cal=None):
        return evaluate(case, load_profile(profile_id), cal or calendar, now)

    return run
