"""Policy profiles, the working-day calendar, the rule registry and the compliance engine.

Public API::

    load_profile(id_or_path) -> Profile          list_profiles() -> list[Profile]
    WorkCalendar(...) / WorkCalendar.from_files(paths)
    load_bundle(path_or_dict) -> Case             case_to_bundle(case) -> dict
    evaluate(case, profile, calendar, now) -> list[Finding]
"""

from liuhen.rules.bundle import case_to_bundle, load_bundle
from liuhen.rules.calendar import CalendarUnknown, WorkCalendar
from liuhen.rules.engine import evaluate
from liuhen.rules.profiles import Profile, list_profiles, load_profile

__all__ = [
    "CalendarUnknown",
    "Profile",
    "WorkCalendar",
    "case_to_bundle",
    "evaluate",
    "list_profiles",
    "load_bundle",
    "load_profile",
]
