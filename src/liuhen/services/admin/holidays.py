"""The holiday schedules an administrator loads for the years the ``chinese_calendar``
package does not know yet (the State Council publishes the next year's arrangement each
autumn; the package follows months later). Until a year is known, deadlines that fall in it
are reported as "calendar unknown" rather than guessed from weekdays.

A load is checked day by day (``parse_overrides``), refused for a year the package already
knows, written as one insert-only row per year with the notice it came from, and is one
``calendar.loaded`` ledger event. Every working-day calculation of the store
(``Store.calendar``) follows at once, in every process; the cached case summaries are
re-judged by the cluster job ``summaries`` the load queues in its own transaction
(``services/cases/rejudge``), whose progress the list and dashboard pages show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from liuhen.errors import InvalidInput
from liuhen.ledger.events import Actor
from liuhen.rules.sources.calendar import load_overrides, package_years
from liuhen.services.admin.queries import loaded_schedules
from liuhen.services.cases.rejudge import queue_rejudge
from liuhen.services.permissions import require
from liuhen.store.holiday_rows import read_calendar
from liuhen.store.store import Store
from liuhen.store.unit import new_id


@dataclass(frozen=True)
class KnownYear:
    year: int
    origin: str  # package | loaded
    holidays: int  # weekdays off
    workdays: int  # weekend days worked
    source: str = ""
    loaded_by: str = ""
    loaded_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "loaded_at": self.loaded_at.isoformat() if self.loaded_at else None,
        }


def load_schedule(
    store: Store, actor: Actor, path: str | Path, *, source: str, name: str | None = None
) -> list[int]:
    """Load the years of the schedule file ``path`` (called ``name`` in messages, e.g. the
    uploaded file's own name); returns them. Nothing is written when any day, year or the
    source is wrong."""
    require(actor, "calendar.manage")
    label = name or str(path)
    schedules = load_overrides(path, label)
    problems = []
    if not source.strip():
        problems.append("source: 请注明依据（如国务院办公厅关于2027年部分节假日安排的通知）")
    known = set(package_years())
    for year in sorted(schedules):
        if year in known:
            problems.append(f"{label}: {year} 年的安排已由 chinese_calendar 提供，不能另行载入")
    if not schedules:
        problems.append(f"{label}: 文件中没有任何年份")
    if problems:
        raise InvalidInput(f"节假日安排 {label} 未载入", details=problems)
    now = store.clock()
    with store.transaction(actor) as tx:
        for year, schedule in sorted(schedules.items()):
            tx.insert(
                "holiday_schedules",
                {
                    "id": new_id(),
                    "year": year,
                    "holidays": sorted(d.isoformat() for d in schedule.holidays),
                    "workdays": sorted(d.isoformat() for d in schedule.workdays),
                    "source": source.strip(),
                    "created_by": actor.id or "system",
                    "created_at": now,
                },
            )
        tx.record(
            "calendar.loaded",
            subject_type="calendar",
            subject_id=",".join(str(y) for y in sorted(schedules)),
            payload={
                "years": sorted(schedules),
                "source": source.strip(),
                "file": Path(label).name,
                "days": {
                    str(y): {"holidays": len(s.holidays), "workdays": len(s.workdays)}
                    for y, s in sorted(schedules.items())
                },
            },
        )
        queue_rejudge(tx, actor, read_calendar(tx.conn).key)  # the summaries, by a job
    return sorted(schedules)


def known_years(store: Store) -> list[KnownYear]:
    """Every year the store's calendar knows, where from, oldest first."""
    calendar = store.calendar()
    loaded = loaded_schedules(store)
    out = []
    for year in calendar.known_years():
        row = loaded.get(year)
        schedule = calendar.schedule(year)
        out.append(
            KnownYear(
                year=year,
                origin="loaded" if row else "package",
                holidays=len(schedule.holidays),
                workdays=len(schedule.workdays),
                source=row["source"] if row else "chinese_calendar",
                loaded_by=(row["display_name"] or row["created_by"]) if row else "",
                loaded_at=row["created_at"] if row else None,
            )
        )
    return out
