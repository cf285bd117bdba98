"""Execution: follow-up deadlines, rectification re-inspection, reminders and the court."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.finding import PENDING, Finding, Subject
from liuhen.rules.engine.context import CheckContext, fmt_time
from liuhen.rules.engine.periods import Period
from liuhen.rules.engine.refs import REF_SCHEMA, check_ref, describe
from liuhen.rules.engine.registry import (
    PERIOD_SCHEMA,
    STRINGS,
    Problem,
    Rule,
    check_codes,
    check_periods,
    obj,
    rule_type,
)


@rule_type("followup_deadline")
class FollowupDeadline(Rule):
    summary = "某一事项发生后，应随之完成的事项没有完成或超过期限"
    params_schema = obj(
        {
            "after": REF_SCHEMA,
            "expect": REF_SCHEMA,
            "within": PERIOD_SCHEMA,
            "unless_outcomes": STRINGS,
        },
        ("after", "expect"),
    )
    message_vars = {
        "after": "起算事项",
        "expect": "应完成的事项",
        "limit": "期限",
        "start": "起算时间",
        "done": "完成时间",
    }

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems = check_ref(params.get("after", ""), ("after",)) + check_ref(
            params.get("expect", ""), ("expect",)
        )
        problems += check_codes(
            params.get("unless_outcomes", []), vocab.OUTCOMES, ("unless_outcomes",), "结果"
        )
        return problems + check_periods(params, "within")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.after = params["after"]
        self.expect = params["expect"]
        self.within = Period.parse(params["within"]) if "within" in params else None
        self.unless = frozenset(params.get("unless_outcomes", ()))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        if ctx.case.outcome in self.unless:
            return
        starts = ctx.times(self.after)
        if not starts:
            return
        start, subject = starts[0]
        done = next((t for t, _ in ctx.times(self.expect) if t >= start), None)
        names: dict[str, Any] = {"after": describe(self.after), "expect": describe(self.expect)}
        if self.within is not None:
            found = ctx.deadline(self, subject, start, self.within, done, **names)
            if found is not None:
                yield found
        elif done is None and ctx.closed:
            yield ctx.finding(self, subject, limit="结案前", start=fmt_time(start, ctx.tz), **names)


def _as_day(value: object) -> date | None:
    if isinstance(value, str):
        try:
            return (
                datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value)
            )
        except ValueError:
            return None
    return None


@rule_type("rectification_reinspection")
class RectificationReinspection(Rule):
    summary = "责令限期整改后，未按期复查核实整改情况（或未制作整改复查记录）"
    params_schema = obj(
        {"grace": PERIOD_SCHEMA, "opinion_documents": STRINGS, "order_documents": STRINGS},
    )
    message_vars = {
        "deadline": "整改期限",
        "limit": "复查宽限",
        "done": "复查时间",
        "problem": "问题",
    }

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_periods(params, "grace") + check_codes(
            params.get("opinion_documents", []),
            vocab.DOCUMENT_KINDS,
            ("opinion_documents",),
            "文书种类",
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.grace = Period.parse(params.get("grace", "0 days"))
        self.opinions = tuple(params.get("opinion_documents", ()))
        self.orders = tuple(params.get("order_documents", ("rectification_order",)))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for order in ctx.records_of(self.orders):
            subject = Subject("text_record", order.id)
            day = _as_day(order.fields.get("deadline"))
            if day is None:
                yield ctx.finding(
                    self, subject, problem="整改指令未载明整改期限", deadline="未载明"
                )
                continue
            rechecks = [a for a in ctx.acts_of(("re_inspection",)) if a.started_at >= order.made_at]
            done = min((a.started_at for a in rechecks), default=None)
            start = datetime.combine(day, time(0, 0), ctx.tz)
            found = ctx.deadline(
                self,
                subject,
                start,
                self.grace,
                done,
                deadline=day.isoformat(),
                problem="未按期复查整改情况",
            )
            if found is not None:
                yield found
                continue
            if done is not None and self.opinions:
                has_opinion = any(
                    r.kind in self.opinions
                    for a in rechecks
                    for r in ctx.records_by_act.get(a.id, ())
                )
                if not has_opinion:
                    names = "或".join(vocab.DOCUMENT_KINDS[k] for k in self.opinions)
                    yield ctx.finding(
                        self, subject, problem=f"复查后未填写{names}", deadline=day.isoformat()
                    )


@rule_type("reminder_before_enforcement")
class ReminderBeforeEnforcement(Rule):
    summary = "申请人民法院强制执行前未依法催告，或催告书送达后未满法定期间即申请"
    params_schema = obj({"wait": PERIOD_SCHEMA})
    message_vars = {"problem": "问题", "limit": "催告后应等待的期间"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_periods(params, "wait")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.wait = Period.parse(params["wait"]) if "wait" in params else None

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for app in ctx.execution_by_kind.get("court_application", ()):
            subject = Subject("execution", app.id)
            served = [
                s.served_at
                for r in ctx.records_by_kind.get("reminder", ())
                for s in ctx.service_of(r.id)
                if s.served_at is not None and s.served_at <= app.at
            ]
            if not served:
                yield ctx.finding(self, subject, problem="申请前没有送达催告书的记录")
                continue
            if self.wait is None:
                continue
            due = ctx.due(min(served), self.wait)
            ok = due.met_by(app.at)
            limit = str(self.wait)
            if ok is None:
                yield ctx.finding(
                    self,
                    subject,
                    status=PENDING,
                    calendar_unknown=True,
                    limit=limit,
                    problem=f"{due.unknown_year}年节假日安排未知，无法判断是否已满{limit}",
                )
            elif ok:
                yield ctx.finding(
                    self, subject, due=due.at, limit=limit, problem=f"催告书送达后未满{limit}即申请"
                )


@rule_type("court_enforcement_recorded")
class CourtEnforcementRecorded(Rule):
    summary = "申请法院强制执行的相关文书、强制执行结果未记录"
    params_schema = obj({"documents": STRINGS})
    message_vars = {"missing": "缺少的记录"}

    def configure(self, params: Mapping[str, Any]) -> None:
        self.documents = tuple(params.get("documents", ("enforcement_application",)))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        apps = ctx.execution_by_kind.get("court_application", ())
        if not apps:
            return
        subject = Subject("execution", apps[0].id)
        if not ctx.records_of(self.documents):
            names = "、".join(vocab.DOCUMENT_KINDS[k] for k in self.documents)
            yield ctx.finding(self, subject, missing=names)
        if not ctx.execution_by_kind.get("court_result"):
            status = "violation" if ctx.closed else PENDING
            yield ctx.finding(self, subject, status=status, missing="强制执行结果")


@rule_type("execution_evidence")
class ExecutionEvidence(Rule):
    summary = "罚款缴纳未附银行代收罚款收据，或恢复原状等执行完毕未制作执行情况说明"
    params_schema = obj({})
    message_vars = {"missing": "缺少的凭证"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for e in ctx.execution_by_kind.get("fine_paid", ()):
            if e.fields.get("bank_receipt") is not True:
                yield ctx.finding(self, Subject("execution", e.id), missing="银行代收罚款收据")
        for e in ctx.execution_by_kind.get("restoration_done", ()):
            docs = [ctx.records.get(d) for d in e.document_ids]
            if not any(d is not None and d.kind == "execution_statement" for d in docs):
                yield ctx.finding(self, Subject("execution", e.id), missing="执行情况说明")
