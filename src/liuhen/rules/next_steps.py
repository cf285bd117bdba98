"""下一步: what a case needs next, in order, from its procedure, its profile and its findings.
Pure: a case, the profile, its findings and the clock in; steps out (no I/O, no routes).

Each procedure has a road (``rules/roads``): its milestones in the order the law sets them
(立案审批, 调查取证, 告知, 法制审核, 负责人审批, 决定, 送达, 履行, 结案, 归档). A milestone
shows only when the agency's profile has the rule it stands on for the case's procedure
(and, for rules that apply to flagged cases, when the case carries the flag): the profile
says what is required, and its article is the step's citation. A step's due time is the
one the engine gave the finding of its rule (working days from the holiday calendar). The
open findings that hold the next gate (``gates.preview``) come first, each with the step
that puts it right. ``action`` names what the step's button does (``approval:decision``,
``document:rights_notice``, ``service:<record>``, ``close``, ``file`` …); the web turns it
into a link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from liuhen.domain import vocab
from liuhen.domain.case import Case
from liuhen.domain.finding import Finding
from liuhen.rules.engine import _zone
from liuhen.rules.engine.calendar import WorkingDays
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.profile import Profile
from liuhen.rules.engine.registry import Rule
from liuhen.rules.gates import blocking, likely_outcome, next_gate, preview
from liuhen.rules.roads import CLOSE, FILE, GATE_STEPS, HANDED_OVER, ROADS, Milestone


@dataclass(frozen=True)
class NextStep:
    key: str
    title: str
    citation: str
    action: str
    who: str
    status: str
    """``blocked`` (an open finding holding the next gate), ``next``, ``later``, or
    ``waiting`` (an approval requested, not yet decided)."""
    detail: str = ""
    due: datetime | None = None
    overdue: bool = False
    gate: str = ""
    subject: tuple[str, str] = ("case", "")


@dataclass(frozen=True)
class NextSteps:
    gate: str | None
    """The gate the case meets next (``vocab.GATES``), None once filed."""
    blocked: list[NextStep] = field(default_factory=list)
    steps: list[NextStep] = field(default_factory=list)

    @property
    def all(self) -> list[NextStep]:
        return [*self.blocked, *self.steps]


def next_steps(
    case: Case,
    profile: Profile,
    findings: Sequence[Finding],
    calendar: WorkingDays,
    now: datetime,
    *,
    waiting: Mapping[str, str] | None = None,
) -> NextSteps:
    """The case's next steps: the open findings holding its next gate first, then the
    milestones of its road not yet done. ``findings``: the case's findings at ``now`` (the
    case page has them); ``waiting``: approval kind -> id of one requested and undecided.

    The findings holding the gate are those the step would meet if taken now
    (``gates.preview``) once the road has reached it; before that, those already on the
    case (the road's own steps say what comes first)."""
    gate = next_gate(case, now)
    ctx = CheckContext(case, calendar, now, _zone(profile.timezone))
    road = [m for m in ROADS.get(case.procedure, (CLOSE, FILE)) if _required(m, case, profile)]
    todo = _remaining(road, case, ctx)
    held: list[Finding] = []
    if gate is not None:
        at_gate = not todo or todo[0].key in GATE_STEPS[gate]
        held = (
            preview(case, profile, calendar, now, gate)
            if at_gate
            else blocking(case, profile, calendar, now, gate)
        )
    fixes = [_fix(f, todo, profile) for f in held]
    blocked = [_blocking_step(f, str(gate), m, ctx, now) for f, m in zip(held, fixes, strict=True)]
    fixing = {m.key for m in fixes if m is not None}
    steps: list[NextStep] = []
    for m in todo:
        if m.key in fixing:
            continue  # shown first, as what puts the finding right
        steps.append(_step(m, case, profile, findings, ctx, waiting or {}, first=not steps))
    return NextSteps(gate, blocked, steps)


def _fix(f: Finding, todo: list[Milestone], profile: Profile) -> Milestone | None:
    """The step still to do that puts ``f`` right, if the road has one: for a list of
    required items, the step making the item the finding names; else a step of its rule.
    Closing and filing put nothing right."""
    open_ = [m for m in todo if m.key not in ("close", "file")]
    items = profile.rule(f.rule_id).spec.params.get("items")
    if not isinstance(items, list):
        return next((m for m in open_ if f.rule_id in m.rules), None)
    named = [i for i in items if isinstance(i, Mapping) and str(i.get("name")) in f.message]
    codes = {
        c for i in named for k in ("documents", "approvals", "executions") for c in i.get(k, ())
    }
    return next((m for m in open_ if codes & set(m.done.partition(":")[2].split("|"))), None)


def _rule(profile: Profile, case: Case, rule_ids: Sequence[str]) -> Rule | None:
    have = {r.id: r for r in profile.rules_for(case.procedure)}
    return next((have[r] for r in rule_ids if r in have), None)


def _required(m: Milestone, case: Case, profile: Profile) -> bool:
    """The profile requires the step of this case (its rule, its flags, the outcome)."""
    rule = _rule(profile, case, m.rules)
    if rule is None:
        return False
    flags = getattr(rule, "flags", None)
    if isinstance(flags, frozenset) and flags and not case.flags & flags:
        return False
    outcome = likely_outcome(case)
    if m.outcomes and outcome not in m.outcomes:
        return False
    return not (m.unless_outcomes and outcome in m.unless_outcomes)


def _done(m: Milestone, case: Case, ctx: CheckContext) -> bool:
    if m.done == HANDED_OVER:
        return case.case_file is not None and case.case_file.handed_over_at is not None
    return bool(ctx.times(m.done))


def _remaining(road: list[Milestone], case: Case, ctx: CheckContext) -> list[Milestone]:
    """The milestones not done; once the case is closed, only those after closing (what was
    skipped before it shows as findings)."""
    todo = [m for m in road if not _done(m, case, ctx)]
    if ctx.closed:
        after = [m.key for m in road].index("close") if any(m.key == "close" for m in road) else 0
        todo = [m for m in todo if road.index(m) > after]
    return todo


def _citation(rule: Rule, m: Milestone) -> str:
    """The rule's article; where its parameters cite per document (required documents,
    documents to serve), the one naming the step's document."""
    codes = set(m.done.partition(":")[2].split("|"))
    for key in ("items", "documents"):
        entries = rule.spec.params.get(key)
        for item in entries if isinstance(entries, list) else ():
            if not isinstance(item, Mapping) or not item.get("citation"):
                continue
            named = {*item.get("documents", ()), item.get("kind", "")}
            if codes & named:
                return str(item["citation"])
    return rule.citation


def _action(m: Milestone, case: Case, ctx: CheckContext) -> str:
    """The step's action; serving a document names the document to serve."""
    kind, _, code = m.action.partition(":")
    if kind == "service":
        records = ctx.records_of([code])
        return f"service:{records[-1].id}" if records else "service"
    return m.action


def _step(
    m: Milestone,
    case: Case,
    profile: Profile,
    findings: Sequence[Finding],
    ctx: CheckContext,
    waiting: Mapping[str, str],
    *,
    first: bool,
) -> NextStep:
    rule = _rule(profile, case, m.rules)
    assert rule is not None  # _required kept only steps whose rule the profile has
    due = min(
        (f.due for f in findings if f.rule_id == m.due_rule and f.due is not None),
        default=None,
    )
    kind, _, code = m.done.partition(":")
    if kind == "approval" and code in waiting:
        return NextStep(
            f"{m.key}:{rule.id}",
            f"等待审批：{vocab.APPROVAL_KINDS.get(code, m.title)}",
            _citation(rule, m),
            f"approval_waiting:{waiting[code]}",
            "approver",
            "waiting",
            due=due,
            overdue=due is not None and due < ctx.now,
        )
    return NextStep(
        f"{m.key}:{rule.id}",
        m.title,
        _citation(rule, m),
        _action(m, case, ctx),
        m.who,
        "next" if first else "later",
        detail=rule.spec.remedy if "{" not in rule.spec.remedy else "",
        due=due,
        overdue=due is not None and due < ctx.now,
    )


def _blocking_step(
    f: Finding, gate: str, fixes: Milestone | None, ctx: CheckContext, now: datetime
) -> NextStep:
    """An open finding holding ``gate``, with the step that puts it right (or, with none,
    the item it is about)."""
    action = _action(fixes, ctx.case, ctx) if fixes else "finding"
    return NextStep(
        f"finding:{f.rule_id}:{f.subject.kind}:{f.subject.id}",
        f.message,
        f.citation,
        action,
        fixes.who if fixes else "officer",
        "blocked",
        detail=f.remedy,
        due=f.due,
        overdue=f.due is not None and f.due < now,
        gate=gate,
        subject=(f.subject.kind, f.subject.id),
    )
