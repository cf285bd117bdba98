"""Gates: what keeps a case from being decided, closed or filed. Pure: a case in, findings out.

A gate (``vocab.GATES``: ``decide``, ``close``, ``file``) is held shut by the open findings of
the profile's rules that name it in ``blocks`` (profile data, each rule with its citation).
The findings are those of the case *as it would be after the step*: a decision document
added (``after_decision``), the case ended with its outcome (``after_closing``), the case
file handed over (``after_filing``), so a decision without the head's approval or the
rights notice is caught when it is made, not after. "Open" means not yet satisfied: a
deadline met late is a violation on the record but nothing the step could still put right,
so it does not hold the gate (``OpenContext``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.case import Case, CaseFile, FieldValue, Signature, TextRecord
from liuhen.domain.finding import Finding, Subject
from liuhen.rules.engine import _zone, sort_key
from liuhen.rules.engine.calendar import WorkingDays
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.periods import Period
from liuhen.rules.engine.profile import Profile
from liuhen.rules.engine.registry import Rule

PROSPECTIVE = "(new)"
"""The id of the document a decision would add, before it has one."""


class OpenContext(CheckContext):
    """The engine's context, noting the deadline findings whose requirement is still
    undone, so "overdue" can be told apart from "done late"."""

    def __init__(self, case: Case, calendar: WorkingDays, now: datetime, tz: tzinfo) -> None:
        super().__init__(case, calendar, now, tz)
        self.open: set[tuple[str, str, str]] = set()
        self.late: set[tuple[str, str, str]] = set()

    def deadline(
        self,
        rule: Rule,
        subject: Subject,
        start: datetime,
        period: Period,
        done_at: datetime | None,
        **values: Any,
    ) -> Finding | None:
        found = super().deadline(rule, subject, start, period, done_at, **values)
        if found is not None:
            key = (rule.id, subject.kind, subject.id)
            (self.late if done_at is not None else self.open).add(key)
        return found

    def is_open(self, finding: Finding) -> bool:
        """Not a deadline met late (every other finding is a requirement still unmet)."""
        return (finding.rule_id, finding.subject.kind, finding.subject.id) not in self.late


def blocking(
    case: Case, profile: Profile, calendar: WorkingDays, now: datetime, gate: str
) -> list[Finding]:
    """The open findings of ``profile``'s rules that block ``gate`` on ``case`` (already
    changed by the step: ``after_decision``, ``after_closing``, ``after_filing``)."""
    if gate not in vocab.GATES:
        raise KeyError(f"unknown gate {gate!r}")
    ctx = OpenContext(case, calendar, now, _zone(profile.timezone))
    found: list[Finding] = []
    for rule in profile.rules_for(case.procedure):
        if gate in rule.blocks:
            found.extend(f for f in rule.check(ctx) if ctx.is_open(f))
    found.sort(key=sort_key)
    return found


def after_decision(case: Case, record: TextRecord) -> Case:
    """The case with the decision document ``record`` added."""
    return replace(case, text_records=(*case.text_records, record))


class _Written(Mapping[str, FieldValue]):
    """The fields of a document not yet written: every one reads as filled in, so a preview
    judges what lies outside the document (approvals, notices), not text nobody wrote yet."""

    def __getitem__(self, key: str) -> FieldValue:
        return "（待填写）"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def prospective_decision(kind: str, made_at: datetime) -> TextRecord:
    """A decision document about to be made, taken as complete in itself (``_Written``,
    sealed, signed by everyone who signs documents): for a preview."""
    signatures = tuple(Signature(role=role, name="（待签名）") for role in vocab.SIGNATURE_ROLES)
    return TextRecord(
        id=PROSPECTIVE,
        kind=kind,
        made_at=made_at,
        number="拟作出",
        fields=_Written(),
        signatures=signatures,
        sealed=True,
    )


def after_closing(case: Case, at: datetime, outcome: str | None) -> Case:
    """The case ended at ``at`` with ``outcome``."""
    return replace(case, ended_at=at, outcome=outcome or case.outcome)


def after_filing(case: Case, at: datetime, custodian: str = "") -> Case:
    """The case with its case file formed (if it was not) and handed over at ``at``."""
    current = case.case_file or CaseFile()
    handed = replace(
        current,
        formed_at=current.formed_at or at,
        handed_over_at=at,
        custodian=custodian or current.custodian,
    )
    return replace(case, case_file=handed)


def decision_kind(case: Case) -> str:
    """The decision document a case of this procedure ends its decision stage with."""
    return DECISION_BY_PROCEDURE.get(case.procedure, "penalty_decision")


DECISION_BY_PROCEDURE = {
    "general": "penalty_decision",
    "simple": "on_the_spot_decision",
    "coercion": "coercion_decision",
}
"""Procedure -> the decision document its cases make (procedures with none are absent)."""


def decided(case: Case) -> bool:
    """A decision document of any kind is on the case."""
    return any(r.kind in vocab.DECISION_DOCUMENTS for r in case.text_records)


def likely_outcome(case: Case) -> str | None:
    """The outcome a closing would record, as far as the records tell before it is chosen:
    the case's own, else what its decision documents say (penalty or none)."""
    if case.outcome:
        return case.outcome
    kinds = {r.kind for r in case.text_records}
    if kinds & {"penalty_decision", "on_the_spot_decision"}:
        return "penalty"
    if "no_penalty_decision" in kinds:
        return "no_penalty"
    return None


def next_gate(case: Case, now: datetime) -> str | None:
    """The gate the case meets next: deciding (procedures that decide), closing, filing;
    None once filed."""
    if case.case_file is not None and case.case_file.handed_over_at is not None:
        return None
    if case.ended_at is not None and case.ended_at <= now:
        return "file"
    if case.procedure in DECISION_BY_PROCEDURE and not decided(case):
        return "decide"
    return "close"


def preview(
    case: Case, profile: Profile, calendar: WorkingDays, now: datetime, gate: str
) -> list[Finding]:
    """What would hold ``gate`` if the step were taken now (the case page's 下一步)."""
    if gate == "decide":
        after = after_decision(case, prospective_decision(decision_kind(case), now))
    elif gate == "close":
        after = after_closing(case, now, likely_outcome(case))
    else:
        after = after_filing(case, now)
    return blocking(after, profile, calendar, now, gate)
