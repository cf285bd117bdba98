"""案卷评查: a closed case's score sheet (评查表) computed from its findings and a reviewer's
manual scores, for 评议考核 (002§35). Pure: no I/O.

The sheet is profile data (``score_sheet`` in the profile YAML, read by
``rules/sources/score_sheet.py``): categories with their points, lines that each cite their
source and either name the rules whose violations they deduct for (``rules``, ``deduct``
points a finding, at most ``max``) or are scored by hand (``manual``, up to ``max``); a line
marked ``veto`` (一票否决) fails the file whatever its points. A violation of a rule no line
names deducts by its severity (``unlisted``) in the ``unlisted_category``. Advice and findings
not yet due never deduct. The grade is the first band whose ``min`` the total reaches; a
vetoed file takes the lowest band.

    card = score(sheet, findings, manual)
    card.total, card.grade, card.vetoes     # every deduction names its finding or reviewer
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from liuhen.domain.finding import VIOLATION, Finding

NOT_DEDUCTED = ("advice",)
"""Severities (and statuses) that never cost points (a 提示 is advice, not a fault)."""


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    points: float


@dataclass(frozen=True)
class Band:
    grade: str
    min: float


@dataclass(frozen=True)
class Line:
    """One line of the sheet (评查项目)."""

    id: str
    category: str
    title: str
    citation: str
    rules: tuple[str, ...] = ()
    deduct: float = 0
    """Points each violation of one of ``rules`` costs."""
    max: float | None = None
    """At most this many points lost on the line (a manual line: the most the reviewer may
    deduct)."""
    veto: bool = False
    manual: bool = False


@dataclass(frozen=True)
class ScoreSheet:
    title: str
    citation: str
    categories: tuple[Category, ...]
    bands: tuple[Band, ...]
    lines: tuple[Line, ...]
    unlisted: Mapping[str, float] = field(default_factory=dict)
    """Severity -> points a violation of a rule on no line costs."""
    unlisted_category: str = ""

    def line(self, line_id: str) -> Line | None:
        return next((x for x in self.lines if x.id == line_id), None)

    def line_for_rule(self, rule_id: str) -> Line | None:
        return next((x for x in self.lines if rule_id in x.rules), None)

    def manual_lines(self) -> tuple[Line, ...]:
        return tuple(x for x in self.lines if x.manual)

    @property
    def points(self) -> float:
        return sum(c.points for c in self.categories)

    def grade_of(self, total: float, failed: bool) -> str:
        ordered = sorted(self.bands, key=lambda b: b.min, reverse=True)
        if failed:
            return ordered[-1].grade
        return next((b.grade for b in ordered if total >= b.min), ordered[-1].grade)


@dataclass(frozen=True)
class ManualScore:
    """A reviewer's score of one manual line: points deducted, the veto, and why."""

    line_id: str
    deduct: float = 0
    veto: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"deduct": plain(self.deduct), "veto": self.veto, "note": self.note}


@dataclass(frozen=True)
class Deduction:
    """Points one finding (or one manual score) costs on one line."""

    line: Line
    points: float
    finding: Finding | None = None
    manual: ManualScore | None = None
    capped: bool = False
    """The line's ``max`` (or the category's points) was reached: this one costs less."""

    @property
    def reason(self) -> str:
        if self.finding is not None:
            return self.finding.message
        return self.manual.note if self.manual is not None else ""


@dataclass
class CategoryScore:
    category: Category
    deductions: list[Deduction] = field(default_factory=list)

    @property
    def lost(self) -> float:
        return min(self.category.points, sum(d.points for d in self.deductions))

    @property
    def score(self) -> float:
        return self.category.points - self.lost


@dataclass(frozen=True)
class Veto:
    """A veto line met: by a finding, or by the reviewer."""

    line: Line
    finding: Finding | None = None
    manual: ManualScore | None = None


@dataclass
class ScoreCard:
    sheet: ScoreSheet
    categories: list[CategoryScore]
    vetoes: list[Veto]
    pending: list[Finding]
    """Findings not yet due on the case: listed, not deducted."""
    unscored: list[Line]
    """Manual lines the reviewer has not scored yet."""

    @property
    def total(self) -> float:
        return sum(c.score for c in self.categories)

    @property
    def failed(self) -> bool:
        return bool(self.vetoes)

    @property
    def grade(self) -> str:
        return self.sheet.grade_of(self.total, self.failed)

    @property
    def complete(self) -> bool:
        return not self.unscored

    def deductions(self) -> list[Deduction]:
        return [d for c in self.categories for d in c.deductions]


def score(
    sheet: ScoreSheet, findings: Iterable[Finding], manual: Mapping[str, ManualScore]
) -> ScoreCard:
    """The score card of a case with ``findings`` and the reviewer's ``manual`` scores (line id
    -> score; lines not in it are unscored and cost nothing yet)."""
    by_category = {c.id: CategoryScore(c) for c in sheet.categories}
    lost_on: dict[str, float] = {}
    vetoes: list[Veto] = []
    pending: list[Finding] = []
    for f in findings:
        if f.severity in NOT_DEDUCTED or f.status in NOT_DEDUCTED:
            continue
        if f.status != VIOLATION:
            pending.append(f)
            continue
        line = sheet.line_for_rule(f.rule_id)
        if line is None:
            points = sheet.unlisted.get(f.severity, 0)
            if points and sheet.unlisted_category in by_category:
                line = _unlisted_line(sheet, f)
                by_category[line.category].deductions.append(Deduction(line, points, f))
            continue
        if line.veto:
            vetoes.append(Veto(line, finding=f))
            continue
        _deduct(by_category, lost_on, line, line.deduct, finding=f)
    unscored: list[Line] = []
    for line in sheet.manual_lines():
        given = manual.get(line.id)
        if given is None:
            unscored.append(line)
        elif line.veto:
            if given.veto:
                vetoes.append(Veto(line, manual=given))
        elif given.deduct:
            _deduct(by_category, lost_on, line, given.deduct, manual=given)
    return ScoreCard(sheet, list(by_category.values()), vetoes, pending, unscored)


def _deduct(
    by_category: dict[str, CategoryScore],
    lost_on: dict[str, float],
    line: Line,
    points: float,
    *,
    finding: Finding | None = None,
    manual: ManualScore | None = None,
) -> None:
    """Add a deduction on ``line``, no more than its ``max`` allows."""
    so_far = lost_on.get(line.id, 0)
    allowed = points if line.max is None else max(0.0, min(points, line.max - so_far))
    lost_on[line.id] = so_far + allowed
    by_category[line.category].deductions.append(
        Deduction(line, allowed, finding=finding, manual=manual, capped=allowed < points)
    )


def _unlisted_line(sheet: ScoreSheet, f: Finding) -> Line:
    """The line a finding of a rule no line names is deducted on: the rule itself."""
    return Line(
        id=f"rule:{f.rule_id}",
        category=sheet.unlisted_category,
        title=f"其他问题（规则 {f.rule_id}）",
        citation=f.citation,
        rules=(f.rule_id,),
        deduct=sheet.unlisted.get(f.severity, 0),
    )


def manual_problems(sheet: ScoreSheet, given: Mapping[str, Any]) -> list[str]:
    """What is wrong with a reviewer's manual scores (line id -> {deduct, veto, note}), each
    naming its field (``scores.<line>.deduct``); empty when they can be saved."""
    problems: list[str] = []
    for line_id, value in given.items():
        line = sheet.line(line_id)
        where = f"scores.{line_id}"
        if line is None or not line.manual:
            problems.append(f"{where}: 评查表中没有需要人工评分的项目 {line_id}")
            continue
        if not isinstance(value, Mapping):
            problems.append(f"{where}: 格式不对")
            continue
        deduct = _number(value.get("deduct", 0))
        if deduct is None:
            problems.append(f"{where}.deduct: 扣分须为数字")
        elif deduct < 0 or (line.max is not None and deduct > line.max):
            problems.append(f"{where}.deduct: 扣分须在 0 至 {_num(line.max or 0)} 分之间")
        if value.get("veto") and not line.veto:
            problems.append(f"{where}.veto: 该项目不是否决项")
        note = str(value.get("note") or "")
        if (deduct or value.get("veto")) and not note.strip():
            problems.append(f"{where}.note: 扣分或否决须写明理由")
        if len(note) > 500:
            problems.append(f"{where}.note: 理由不能超过 500 字")
    return problems


def _number(value: Any) -> float | None:
    """A score given as a number or as its text ("0.5", how a signed version stores it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return None


def manual_from(given: Mapping[str, Mapping[str, Any]]) -> dict[str, ManualScore]:
    """Checked manual scores (``manual_problems`` found nothing) as ``ManualScore``s."""
    return {
        line_id: ManualScore(
            line_id,
            _number(v.get("deduct") or 0) or 0.0,
            bool(v.get("veto")),
            str(v.get("note") or "").strip(),
        )
        for line_id, v in given.items()
    }


def _num(value: float) -> str:
    return f"{value:g}"


def plain(value: float) -> int | str:
    """Points as canonical JSON holds them (no floats): 3 or "0.5"."""
    return int(value) if float(value).is_integer() else f"{value:g}"
