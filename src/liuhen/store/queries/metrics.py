"""The cases behind each of the dashboard's figures, as conditions on the summaries' index
(their shares must be current: ``summary_index.sweep``)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Text, and_, true, type_coerce

from liuhen.store import tables as t

cs = t.case_summaries

METRICS = ("all", "violations", "overdue", "av_missing", "av_late", "file_late", "unreadable")


def metric_clause(name: str) -> ColumnElement[bool]:
    """The cases behind one dashboard figure (their shares must be current: swept)."""
    simple: dict[str, ColumnElement[bool]] = {
        "all": true(),
        "violations": cs.c.c_violations > 0,
        "overdue": cs.c.c_overdue > 0,
        "av_missing": and_(~cs.c.unreadable, cs.c.av_needed > cs.c.av_have),
        "av_late": cs.c.c_av_late > 0,
        "file_late": cs.c.c_case_file == "late",
        "file_due": cs.c.c_case_file.in_(("waiting", "late")),  # closed, file not formed yet
        "unreadable": cs.c.unreadable,
    }
    if name in simple:
        return simple[name]
    kind, _, value = name.partition(":")
    if kind == "stage":
        return cs.c.stage == value
    if kind == "procedure":
        return cs.c.procedure == value
    if kind == "cat":  # c_categories is JSON with sorted keys and positive counts only
        return type_coerce(cs.c.c_categories, Text()).like(f'%"{value}":%')
    raise ValueError(f"unknown metric {name!r}")
