"""The working-day calendar as the database holds it: the holiday arrangements loaded with
``liuhen calendar load`` (``holiday_schedules``) over the chinesecalendar package's years."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select

from liuhen.rules.engine.calendar import YearSchedule
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.store import tables as t


def read_calendar(conn: Connection) -> WorkCalendar:
    """The working-day calendar as the rows of ``holiday_schedules`` on ``conn`` make it (the
    newest row of a year wins): also inside the transaction that loads a schedule."""
    rows = conn.execute(
        select(t.holiday_schedules).order_by(
            t.holiday_schedules.c.created_at, t.holiday_schedules.c.id
        )
    ).mappings()
    loaded = {
        int(r["year"]): YearSchedule(
            int(r["year"]),
            frozenset(date.fromisoformat(d) for d in r["holidays"]),
            frozenset(date.fromisoformat(d) for d in r["workdays"]),
        )
        for r in rows
    }
    return WorkCalendar(loaded)
