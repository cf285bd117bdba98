"""Internal approvals: present and in time (incl. the emergency path), by the right person,
with the content the regulation lists."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.case import Approval, Case
from liuhen.domain.finding import PENDING, Finding, Subject
from liuhen.rules.engine.context import CheckContext, fmt_time
from liuhen.rules.engine.periods import Period
from liuhen.rules.engine.refs import REF_SCHEMA, check_ref
from liuhen.rules.engine.registry import (
    CITATION_SCHEMA,
    PERIOD_SCHEMA,
    STRINGS,
    Problem,
    Rule,
    check_codes,
    check_periods,
    obj,
    rule_type,
)

FIELDS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}


def _positions(params: Mapping[str, Any], *keys: str) -> list[Problem]:
    out: list[Problem] = []
    for key in keys:
        out += check_codes(params.get(key, []), vocab.POSITIONS, (key,), "职务")
    return out


def approver_ok(a: Approval, positions: frozenset[str], deputies: frozenset[str]) -> bool:
    return any(
        s.role == "approver"
        and s.name.strip()
        and (s.position in positions or (s.position in deputies and s.authorised))
        for s in a.steps
    )


AMOUNT = {"type": "number", "minimum": 0}
HEAVY_SCHEMA = obj(
    {
        "fines": obj({"person": AMOUNT, "organisation": AMOUNT}),
        "kinds": STRINGS,
        "citation": CITATION_SCHEMA,
    },
    ("citation",),
)
"""The agency's 较重的行政处罚: a fine from its 较大数额 on (per party kind), or a kind of
penalty it names (吊销许可证件, 责令停产停业 …); ``citation`` is where the agency says so."""


def heavy_reason(case: Case, heavy: Mapping[str, Any]) -> str:
    """Why the case's penalty is heavy under ``heavy`` (empty when it is not)."""
    p = case.penalty
    if p is None:
        return ""
    if p.kind and p.kind in heavy.get("kinds", ()):
        return f"处罚种类“{p.kind}”属于较重的行政处罚（{heavy['citation']}）"
    limit = heavy.get("fines", {}).get(case.party.kind)
    if limit is not None and p.amount is not None and p.amount >= limit:
        return f"罚款 {p.amount:g} 元达到较大数额 {limit:g} 元（{heavy['citation']}）"
    return ""


@rule_type("approval_required")
class ApprovalRequired(Rule):
    summary = (
        "应当事先审批的事项没有审批、审批晚于实施（紧急情况超过补报时限）、批准人不符或缺少规定意见"
    )
    params_schema = obj(
        {
            "kind": {"type": "string"},
            "before": REF_SCHEMA,
            "flags": STRINGS,
            "approvers": STRINGS,
            "authorised_approvers": STRINGS,
            "opinions": STRINGS,
            "fields": FIELDS,
            "emergency": PERIOD_SCHEMA,
            "heavy": HEAVY_SCHEMA,
        },
        ("kind", "before"),
    )
    message_vars = {"problem": "问题", "approval": "审批名称", "event": "需要审批在先的事项及时间"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems = check_codes(params.get("kind", ""), vocab.APPROVAL_KINDS, ("kind",), "审批种类")
        problems += check_codes(params.get("flags", []), vocab.CASE_FLAGS, ("flags",), "案件标记")
        problems += _positions(params, "approvers", "authorised_approvers", "opinions")
        problems += check_ref(params.get("before", ""), ("before",))
        return problems + check_periods(params, "emergency")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.kind = params["kind"]
        self.before = params["before"]
        self.flags = frozenset(params.get("flags", ()))
        self.approvers = frozenset(params.get("approvers", ()))
        self.deputies = frozenset(params.get("authorised_approvers", ()))
        self.opinions = tuple(params.get("opinions", ()))
        self.fields: dict[str, str] = dict(params.get("fields", {}))
        emergency = params.get("emergency")
        self.emergency = Period.parse(emergency) if emergency is not None else None
        self.heavy: Mapping[str, Any] | None = params.get("heavy")

    def param_citations(self) -> tuple[str, ...]:
        return (self.heavy["citation"],) if self.heavy else ()

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        why = heavy_reason(ctx.case, self.heavy) if self.heavy else ""
        if self.flags and not ctx.case.flags & self.flags and not why:
            return  # neither flagged (情节复杂、重大) nor heavy by the agency's thresholds
        events = ctx.times(self.before)
        if not events:
            return
        moment, subject = events[0]
        name = vocab.APPROVAL_KINDS[self.kind]
        label, when = ctx.label(subject), fmt_time(moment, ctx.tz)
        values: dict[str, Any] = {
            "approval": name,
            "event": label if when in label else f"{label}（{when}）",  # the time once
        }
        approvals = ctx.approvals_by_kind.get(self.kind, [])
        approved = [a for a in approvals if a.outcome == "approved"]
        if not approved:
            if self.emergency is not None and not approvals:
                due = moment + self.emergency.as_timedelta()
                if ctx.now <= due:
                    yield ctx.finding(
                        self,
                        subject,
                        status=PENDING,
                        due=due,
                        problem="紧急先行实施，尚待补报审批",
                        **values,
                    )
                    return
            problem = "审批未获批准" if approvals else "没有审批记录"
            problem += f"；{why}" if why else ""
            yield ctx.finding(self, subject, problem=problem, **values)
            return
        a = min(approved, key=lambda x: x.decided_at)
        problems = []
        if a.decided_at > moment:
            late = a.decided_at - moment
            if not a.emergency or self.emergency is None:
                problems.append("审批晚于实施（程序倒置）")
            elif late > self.emergency.as_timedelta():
                problems.append(f"紧急情况先行实施后超过{self.emergency}才补报审批")
        if self.approvers and not approver_ok(a, self.approvers, self.deputies):
            allowed = "或".join(vocab.POSITIONS[p] for p in sorted(self.approvers | self.deputies))
            problems.append(f"批准人应为{allowed}")
        for position in self.opinions:
            if not any(s.position == position and s.opinion.strip() for s in a.steps):
                problems.append(f"缺少{vocab.POSITIONS[position]}意见")
        missing = [label for f, label in self.fields.items() if not a.has(f)]
        if missing:
            problems.append("未载明" + "、".join(missing))
        if problems:
            yield ctx.finding(
                self, Subject("approval", a.id), problem="；".join(problems), **values
            )


@rule_type("approval_fields")
class ApprovalFields(Rule):
    summary = "审批（法制审核、集体讨论、负责人审批等）记录缺少规定内容"
    params_schema = obj(
        {
            "kind": {"type": "string"},
            "fields": FIELDS,
            "reviewer_opinion": {"type": "boolean"},
            "approver_opinion": {"type": "boolean"},
            "signed": {"type": "boolean"},
        },
        ("kind",),
    )
    message_vars = {"missing": "缺少的内容", "approval": "审批名称"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(params.get("kind", ""), vocab.APPROVAL_KINDS, ("kind",), "审批种类")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.kind = params["kind"]
        self.fields: dict[str, str] = dict(params.get("fields", {}))
        self.reviewer_opinion = bool(params.get("reviewer_opinion", False))
        self.approver_opinion = bool(params.get("approver_opinion", False))
        self.signed = bool(params.get("signed", False))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for a in ctx.approvals_by_kind.get(self.kind, ()):
            missing = [label for f, label in self.fields.items() if not a.has(f)]
            reviewers = [s for s in a.steps if s.role == "reviewer"]
            approvers = [s for s in a.steps if s.role == "approver"]
            if self.reviewer_opinion:
                if not any(s.name.strip() for s in reviewers):
                    missing.append("审核人员")
                if not any(s.opinion.strip() for s in reviewers):
                    missing.append("审核意见和建议")
            if self.approver_opinion and not any(s.opinion.strip() for s in approvers):
                missing.append("负责人签署的意见")
            if self.signed and not any(s.signed and s.name.strip() for s in approvers):
                missing.append("负责人签名")
            if missing:
                yield ctx.finding(
                    self,
                    Subject("approval", a.id),
                    missing="、".join(missing),
                    approval=vocab.APPROVAL_KINDS[self.kind],
                )


@rule_type("approval_roles")
class ApprovalRoles(Rule):
    summary = "内部审批未载明承办人、审核人、批准人，或承办人未提出意见和理由"
    params_schema = obj({"kinds": STRINGS})
    message_vars = {"missing": "缺少的内容"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(params.get("kinds", []), vocab.APPROVAL_KINDS, ("kinds",), "审批种类")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.kinds = frozenset(
            params.get("kinds", set(vocab.APPROVAL_KINDS) - {"collective_discussion"})
        )

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for a in ctx.case.approvals:
            if a.kind not in self.kinds:
                continue
            missing = [
                vocab.STEP_ROLES[role]
                for role in ("handler", "reviewer", "approver")
                if not any(s.role == role and s.name.strip() for s in a.steps)
            ]
            if (
                not any(s.role == "handler" and s.opinion.strip() for s in a.steps)
                and "承办人" not in missing
            ):
                missing.append("承办人意见和理由")
            if missing:
                yield ctx.finding(self, Subject("approval", a.id), missing="、".join(missing))
