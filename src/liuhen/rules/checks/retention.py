"""The retention schedule (保管期限表): which class each record falls in, for how long it is
kept, and who approves its disposal after that — data for ``services/archiving/retention.py`` and
``services/archiving/disposal.py``. As a check, it finds case AV stated to be kept for fewer years
than the case file (004§12: the same period as the case file)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.finding import Finding, Subject
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.registry import (
    CITATION_SCHEMA,
    STRINGS,
    Problem,
    Rule,
    check_codes,
    obj,
    rule_type,
)

CLASSES: dict[str, str] = {
    "case_av": "办案音像记录（随案卷保存）",
    "other_av": "其他音像记录",
    "long_term": "需长期保存的音像记录",
    "document": "案卷文书",
}
"""Retention classes, by the code the schedule uses."""

TERM_YEARS: dict[str, int | None] = {
    "permanent": None,
    "long_term": None,
    "30y": 30,
    "10y": 10,
    "3y": 3,
}
"""Years kept per term; None: never disposed of. ``case`` follows the case file's term."""

_CLASS = obj(
    {"term": {"type": "string"}, "citation": CITATION_SCHEMA, "flags": STRINGS},
    ("term", "citation"),
)


@dataclass(frozen=True)
class RetentionClass:
    code: str
    name: str
    term: str
    citation: str
    flags: tuple[str, ...] = ()


@rule_type("retention_schedule")
class RetentionSchedule(Rule):
    summary = "保管期限表：各类记录的保管期限与到期处置的审批人；办案音像记录标明的保存期限短于案卷"
    message_vars = {"term": "音像记录上的保存期限", "case_term": "案卷保存期限"}
    params_schema = obj(
        {
            "case_file_term": {"type": "string"},
            "case_file_citation": CITATION_SCHEMA,
            "classes": obj({code: _CLASS for code in CLASSES}, tuple(CLASSES)),
            "disposal_positions": STRINGS,
            "disposal_citation": CITATION_SCHEMA,
        },
        (
            "case_file_term",
            "case_file_citation",
            "classes",
            "disposal_positions",
            "disposal_citation",
        ),
    )

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems = check_codes(
            params["case_file_term"], vocab.RETENTION_TERMS, ("case_file_term",), "保存期限"
        )
        for code, item in params["classes"].items():
            problems += check_codes(
                item["term"], vocab.RETENTION_TERMS, ("classes", code, "term"), "保存期限"
            )
            problems += check_codes(
                item.get("flags", []), vocab.ACT_FLAGS, ("classes", code, "flags"), "环节标记"
            )
        problems += check_codes(
            params["disposal_positions"], vocab.POSITIONS, ("disposal_positions",), "职务"
        )
        return problems

    def configure(self, params: Mapping[str, Any]) -> None:
        self.case_file_term = str(params["case_file_term"])
        self.case_file_citation = str(params["case_file_citation"])
        self.classes = {
            code: RetentionClass(
                code,
                CLASSES[code],
                item["term"],
                item["citation"],
                tuple(item.get("flags", ())),
            )
            for code, item in params["classes"].items()
        }
        self.disposal_positions = tuple(params["disposal_positions"])
        self.disposal_citation = str(params["disposal_citation"])

    def param_citations(self) -> tuple[str, ...]:
        cited = [self.case_file_citation, self.disposal_citation]
        cited += [c.citation for c in self.classes.values()]
        return tuple(dict.fromkeys(cited))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        """Case AV is kept as long as the case file (004§12): a shorter stated term is found."""
        cf = ctx.case.case_file
        case_term = (cf.retention.term if cf and cf.retention else "") or self.case_file_term
        case_years = TERM_YEARS.get(case_term)
        for av in ctx.case.av_records:
            term = av.retention.term if av.retention else ""
            if term not in TERM_YEARS:  # unstated or "case": av_retention judges those
                continue
            years = TERM_YEARS[term]
            if years is not None and (case_years is None or years < case_years):
                yield ctx.finding(
                    self,
                    Subject("av_record", av.id),
                    term=vocab.RETENTION_TERMS[term],
                    case_term=vocab.RETENTION_TERMS.get(case_term, case_term),
                )
