"""Compliance rules: a pure engine, the rule types, and the files they are read from.

``engine/`` (pure: registry, context, ``evaluate()``, profiles as data, working days and
periods) and ``checks/`` (the rule types) import no I/O library; ``sources/`` reads profile
YAML, holiday schedules, case bundle JSON and the article texts. Package data stays beside
this file: ``profiles/`` (YAML), ``schemas/`` (the case bundle schema), ``data/``.

Public API (resolved on first use, so that importing ``liuhen.rules.engine``, which runs
this file first, does not load the file-reading half)::

    load_profile(id_or_path) -> Profile          list_profiles() -> list[Profile]
    WorkCalendar(overrides) / WorkCalendar.from_files(paths)
    load_bundle(path_or_dict) -> Case             case_to_bundle(case) -> dict
    evaluate(case, profile, calendar, now) -> list[Finding]
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liuhen.rules.engine import evaluate
    from liuhen.rules.engine.calendar import CalendarUnknown
    from liuhen.rules.engine.profile import Profile
    from liuhen.rules.sources.bundle import load_bundle
    from liuhen.rules.sources.bundle_codec import case_to_bundle
    from liuhen.rules.sources.calendar import WorkCalendar
    from liuhen.rules.sources.profiles import list_profiles, load_profile

_EXPORTS = {
    "CalendarUnknown": "liuhen.rules.engine.calendar",
    "Profile": "liuhen.rules.engine.profile",
    "WorkCalendar": "liuhen.rules.sources.calendar",
    "case_to_bundle": "liuhen.rules.sources.bundle_codec",
    "evaluate": "liuhen.rules.engine",
    "list_profiles": "liuhen.rules.sources.profiles",
    "load_bundle": "liuhen.rules.sources.bundle",
    "load_profile": "liuhen.rules.sources.profiles",
}

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


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
