"""A stored case summary read at a moment: which findings are violations by now, which are
overdue, which still due, and the accountability categories they count in.

A summary (``services/cases/summaries.py`` computes and stores them) keeps every finding with
its due time instead of a verdict, because deadlines keep passing after it is computed: a
pending finding whose due time has passed is a violation now. This module is the pure half:
no I/O but the categories' YAML, so the store's derived index (``store/summary_index.py``)
and the services read summaries the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml

from liuhen.domain.finding import ADVICE, PENDING, VIOLATION
from liuhen.domain.vocab import ACT_KINDS

GRACE = timedelta(seconds=1)  # a deadline is met up to the end of its last second (periods.py)
FOREVER = datetime.max.replace(tzinfo=UTC)


# -- categories of the accountability articles ------------------------------------------


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    short: str
    citations: tuple[str, ...]
    rule_types: frozenset[str]
    ledger_actions: frozenset[str]


@cache
def categories() -> tuple[Category, ...]:
    """The categories of 000§21, 002§36, 004§39, from ``rules/data/accountability.yaml``."""
    text = resources.files("liuhen.rules").joinpath("data/accountability.yaml").read_text("utf-8")
    return tuple(
        Category(
            id=c["id"],
            name=c["name"],
            short=c["short"],
            citations=tuple(c["citations"]),
            rule_types=frozenset(c.get("rule_types", ())),
            ledger_actions=frozenset(c.get("ledger_actions", ())),
        )
        for c in yaml.safe_load(text)["categories"]
    )


@cache
def _category_of_type() -> dict[str, str]:
    return {rt: c.id for c in categories() for rt in c.rule_types}


def category_of(rule_type: str) -> str:
    return _category_of_type().get(rule_type, "other")


# -- reading a summary as of now --------------------------------------------------------


def is_violation(finding: Mapping[str, Any], now: datetime) -> bool:
    """A violation when computed, or pending with its deadline passed since."""
    if finding["status"] == VIOLATION:
        return True
    due = finding.get("due")
    return due is not None and now >= datetime.fromisoformat(due) + GRACE


# The state texts ``CheckContext.deadline`` (rules/context.py) puts in a deadline's message.
_WAITING_TEXT = "尚未完成，请在期限前完成"
_OVERDUE_TEXT = "至今未完成，已逾期"


def _overdue_text(message: str) -> str:
    """The message of a finding that was waiting, as the engine words it once overdue."""
    return message.replace(_WAITING_TEXT, _OVERDUE_TEXT)


@dataclass(frozen=True)
class CaseState:
    """One summary evaluated at ``now``: what the list, dashboard and inbox show."""

    violations: int | None
    pending: int | None
    categories: dict[str, int]
    overdue: list[dict[str, Any]]  # outstanding items past their due time, oldest first
    due: list[dict[str, Any]]  # outstanding items not yet due, soonest first
    av_needed: int
    av_have: int
    av_total: int
    av_late: int
    av_waiting: int
    case_file: str  # on_time | late | waiting | none


def state_at(summary: Mapping[str, Any], now: datetime) -> CaseState:
    if summary.get("error") is not None:
        return CaseState(None, None, {}, [], [], 0, 0, 0, 0, 0, "none")
    violations = pending = 0
    cats: dict[str, int] = {}
    overdue: list[dict[str, Any]] = []
    due: list[dict[str, Any]] = []
    late_av: set[str] = set()
    waiting_av: set[str] = set()
    file_state = "on_time" if summary.get("closed_at") and summary["case_file_rule"] else "none"
    for f in summary["findings"]:
        bad = is_violation(f, now)
        if bad:
            violations += 1
            cat = category_of(f["type"])
            cats[cat] = cats.get(cat, 0) + 1
        elif f["status"] != ADVICE:  # advice (根据实际情况) is neither owed nor broken
            pending += 1
        if f["due"] and (f["open"] or f["status"] == PENDING):  # outstanding, not done late
            if bad and f["status"] == PENDING:  # its deadline passed since: say so
                f = {**f, "status": VIOLATION, "message": _overdue_text(f["message"])}
            (overdue if bad else due).append(f)
        kind, subject_id = f["subject"]
        if f["type"] == "av_upload_deadline" and kind == "av_record":
            (late_av if bad else waiting_av).add(subject_id)
        if f["type"] == "case_file_deadline":
            file_state = "late" if bad else "waiting"
    if summary.get("damaged"):
        cats["altered"] = cats.get("altered", 0) + int(summary["damaged"])
    for item in summary.get("av_due") or ():  # footage not stored yet: its upload is owed
        if item.get("due"):
            footage = footage_item(item, now)
            (overdue if footage["status"] == VIOLATION else due).append(footage)
    overdue.sort(key=lambda f: f["due"])
    due.sort(key=lambda f: f["due"])
    av = summary["av_acts"]
    return CaseState(
        violations=violations,
        pending=pending,
        categories=cats,
        overdue=overdue,
        due=due,
        av_needed=len(av["needed"]),
        av_have=len(av["have"]),
        av_total=len(summary["av_records"]),
        av_late=len(late_av),
        av_waiting=len(waiting_av - late_av),
        case_file=file_state,
    )


def footage_item(item: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """An act's footage still to store (a summary's ``av_due``, ``rules/footage_due``) as an
    outstanding item with a deadline, read like a finding: overdue once its due time has
    passed, in 我的待办, the dashboard, the case list and the home page alike."""
    late = now >= datetime.fromisoformat(item["due"]) + GRACE
    place = f"（{item['place']}）" if item.get("place") else ""
    kind = ACT_KINDS.get(item["kind"], item["kind"])
    state = "至今未存储，已逾期" if late else "尚未存储，请在期限前存储"
    return {
        "rule": "av_upload_deadline",
        "type": "av_upload_deadline",
        "status": VIOLATION if late else PENDING,
        "severity": "major",
        "due": item["due"],
        "open": True,
        "subject": ["act", item["act"]],
        "citation": item["citation"],
        "message": (
            f"{kind}{place}：{item['what']}"
            f"须音像记录，应自{item['from_what']}起 {item['limit']} 内存储，{state}"
        ),
    }


def state_changes_at(summary: Mapping[str, Any], now: datetime) -> datetime:
    """When the state read at ``now`` may next change: the next pending deadline to pass
    (``FOREVER`` when none is ahead). A time recorded ahead in the case (``recompute_at``)
    is not counted here: it makes the summary itself stale."""
    upcoming = [
        datetime.fromisoformat(f["due"]) + GRACE
        for f in summary.get("findings", ())
        if f["status"] == PENDING and f["due"]
    ]
    upcoming += [
        datetime.fromisoformat(item["due"]) + GRACE
        for item in summary.get("av_due") or ()
        if item.get("due")
    ]
    return min((d for d in upcoming if d > now), default=FOREVER)
