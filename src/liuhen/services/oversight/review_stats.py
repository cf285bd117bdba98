"""The year's 案卷评查 figures by section and by officer (评议考核, 002§35): every case closed
in the year within the reader's dashboard reach, scored on its profile's sheet from the
findings its summary keeps and the newest signed manual scores. A case no reviewer has
signed yet counts with its computed points and is counted as unsigned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liuhen.domain.finding import PENDING, VIOLATION, Finding, Subject
from liuhen.errors import InvalidInput, LiuhenError
from liuhen.ledger.events import Actor
from liuhen.rules.scoring import ScoreCard, manual_from, plain, score
from liuhen.rules.sources.profiles import load_profile
from liuhen.rules.sources.summary_state import is_violation
from liuhen.services.cases.summaries import ensure_current
from liuhen.services.oversight.dashboard import reach
from liuhen.services.oversight.queries import closed_summaries, latest_reviews
from liuhen.store.store import Store

SHOWN = 50
"""Files listed on the page: the lowest scores first (the rest are in the figures)."""


@dataclass
class Group:
    """The scored files of one section or officer."""

    name: str
    totals: list[float] = field(default_factory=list)
    grades: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    unsigned: int = 0

    def add(self, card: ScoreCard, signed: bool) -> None:
        self.totals.append(card.total)
        self.grades[card.grade] = self.grades.get(card.grade, 0) + 1
        self.failed += card.failed
        self.unsigned += not signed

    def to_dict(self, grades: list[str]) -> dict[str, Any]:
        mean = sum(self.totals) / len(self.totals) if self.totals else None
        return {
            "name": self.name,
            "files": len(self.totals),
            "mean": "—" if mean is None else plain(round(mean, 1)),
            "lowest": plain(min(self.totals)) if self.totals else "—",
            "grades": [self.grades.get(g, 0) for g in grades],
            "failed": self.failed,
            "unsigned": self.unsigned,
        }


def review_stats(store: Store, actor: Actor, year: str = "") -> dict[str, Any]:
    """The year's figures within ``actor``'s dashboard reach (``dashboard.read``)."""
    now = store.clock()
    tz = store.settings.tz
    wanted = _year(year, now.astimezone(tz).year)
    ensure_current(store, now)
    scope = reach(actor)
    rows = closed_summaries(store, scope.everything, scope.agency_id, scope.section)
    chosen = [
        (case_id, profile_id, s)
        for case_id, profile_id, s in rows
        if s.get("closed_at")
        and datetime.fromisoformat(s["closed_at"]).astimezone(tz).year == wanted
    ]
    signed = latest_reviews(store, [case_id for case_id, _, _ in chosen])
    total = Group("合计")
    sections: dict[str, Group] = {}
    officers: dict[str, Group] = {}
    grades: list[str] = []
    cases: list[dict[str, Any]] = []
    for case_id, profile_id, summary in chosen:
        card = _card(profile_id, summary, signed.get(case_id, {}).get("scores", {}), now)
        if card is None:
            continue
        grades = grades or [b.grade for b in sorted(card.sheet.bands, key=lambda b: -b.min)]
        done = case_id in signed
        total.add(card, done)
        sections.setdefault(
            summary.get("section") or "（未填科室）",
            Group(summary.get("section") or "（未填科室）"),
        ).add(card, done)
        for officer_id, name in summary.get("officers") or []:
            officers.setdefault(officer_id, Group(name)).add(card, done)
        cases.append(
            {"id": case_id, "number": summary.get("number", ""), "title": summary.get("title", ""),
             "section": summary.get("section", ""), "total": plain(card.total),
             "grade": card.grade, "failed": card.failed, "signed": done}
        )  # fmt: skip
    return {
        "year": wanted,
        "grades": grades,
        "total": total.to_dict(grades),
        "sections": [g.to_dict(grades) for g in sorted(sections.values(), key=lambda g: g.name)],
        "officers": [g.to_dict(grades) for g in sorted(officers.values(), key=lambda g: g.name)],
        "case_count": len(cases),
        "cases": sorted(cases, key=lambda c: (not c["failed"], float(c["total"]), c["number"]))[
            :SHOWN
        ],
    }


def _year(raw: str, default: int) -> int:
    if not raw:
        return default
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise InvalidInput(f"year: 年度 {raw!r} 格式不对（如 2026）")
    return int(raw)


def _card(
    profile_id: str, summary: Mapping[str, Any], scores: Mapping[str, Any], now: datetime
) -> ScoreCard | None:
    """The case's card from its summary's findings (a pending one past its deadline counts as
    a violation, as everywhere else); None when its profile has no sheet."""
    try:
        sheet = load_profile(profile_id).score_sheet
    except LiuhenError:
        return None
    if sheet is None:
        return None
    findings = [
        Finding(
            rule_id=f["rule"],
            citation=f.get("citation", ""),
            severity=f.get("severity", ""),
            status=VIOLATION if is_violation(f, now) else PENDING,
            subject=Subject(*f.get("subject", ["case", ""])),
            message=f.get("message", ""),
            remedy="",
        )
        for f in summary.get("findings") or []
    ]
    return score(sheet, findings, manual_from(scores))
