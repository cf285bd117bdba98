"""Procedure as a whole: order of steps (程序倒置), simple procedure, complaints, applications."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.finding import Finding, Subject
from liuhen.rules.engine.context import CheckContext, fmt_time
from liuhen.rules.engine.periods import Period
from liuhen.rules.engine.refs import REF_SCHEMA, check_ref, describe
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


@rule_type("date_order")
class DateOrder(Rule):
    summary = "程序倒置：后一步骤的时间早于应在其前的步骤"
    params_schema = obj(
        {
            "pairs": {
                "type": "array",
                "items": obj(
                    {"first": REF_SCHEMA, "then": REF_SCHEMA, "citation": CITATION_SCHEMA},
                    ("first", "then"),
                ),
            }
        },
        ("pairs",),
    )
    message_vars = {
        "first": "应在先的步骤",
        "then": "应在后的步骤",
        "first_at": "在先步骤时间",
        "then_at": "在后步骤时间",
    }

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        for i, pair in enumerate(params.get("pairs", [])):
            problems += check_ref(pair["first"], ("pairs", i, "first"))
            problems += check_ref(pair["then"], ("pairs", i, "then"))
        return problems

    def configure(self, params: Mapping[str, Any]) -> None:
        self.pairs = list(params["pairs"])

    def param_citations(self) -> tuple[str, ...]:
        return tuple(p["citation"] for p in self.pairs if "citation" in p)

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for pair in self.pairs:
            firsts = ctx.times(pair["first"])
            thens = ctx.times(pair["then"])
            if not firsts or not thens:
                continue
            (first_at, _), (then_at, subject) = firsts[0], thens[0]
            if then_at < first_at:
                yield ctx.finding(
                    self,
                    subject,
                    citation=pair.get("citation"),
                    first=describe(pair["first"]),
                    then=describe(pair["then"]),
                    first_at=fmt_time(first_at, ctx.tz),
                    then_at=fmt_time(then_at, ctx.tz),
                )


@rule_type("simple_procedure_record")
class SimpleProcedureRecord(Rule):
    summary = "适用简易程序未记录规定事项（适用条件、程序步骤、陈述申辩及复核、备案、当场收缴等）"
    params_schema = obj(
        {
            "documents": STRINGS,
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "collection_field": {"type": "string"},
        },
        ("fields",),
    )
    message_vars = {"missing": "缺少的记录事项"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(
            params.get("documents", []), vocab.DOCUMENT_KINDS, ("documents",), "文书种类"
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.documents = tuple(
            params.get("documents", ("on_the_spot_decision", "simple_procedure_record"))
        )
        self.fields: dict[str, str] = dict(params["fields"])
        self.collection_field = params.get("collection_field", "on_spot_collection")

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        case = ctx.case
        if case.procedure != "simple":
            return
        records = ctx.records_of(self.documents)
        if not records and not ctx.closed:
            return
        missing = [label for f, label in self.fields.items() if not any(r.has(f) for r in records)]
        if (
            case.penalty
            and case.penalty.collected_on_spot
            and not any(r.has(self.collection_field) for r in records)
        ):
            missing.append("当场收缴罚款的实施过程")
        if missing:
            subject = Subject("text_record", records[0].id) if records else Subject("case", case.id)
            yield ctx.finding(self, subject, missing="、".join(missing))


@rule_type("simple_procedure_limit")
class SimpleProcedureLimit(Rule):
    summary = "适用简易程序当场处罚超出法定种类或数额（公民200元、单位3000元以下罚款或警告）"
    params_schema = obj(
        {"person": {"type": "number"}, "organisation": {"type": "number"}, "kinds": STRINGS},
        ("person", "organisation"),
    )
    message_vars = {"amount": "罚款数额", "limit": "法定上限", "kind": "处罚种类"}

    def configure(self, params: Mapping[str, Any]) -> None:
        self.limits = {"person": params["person"], "organisation": params["organisation"]}
        self.kinds = frozenset(params.get("kinds", ("warning", "fine")))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        case = ctx.case
        p = case.penalty
        if case.procedure != "simple" or p is None:
            return
        limit = self.limits[case.party.kind]
        if p.kind not in self.kinds or (p.amount or 0) > limit:
            yield ctx.finding(
                self,
                Subject("case", case.id),
                amount=f"{p.amount or 0:g}元",
                limit=f"{limit:g}元",
                kind=p.kind,
            )


@rule_type("complaint_record")
class ComplaintRecord(Rule):
    summary = "投诉举报未登记，或实名投诉举报不启动程序时未告知投诉人并书面记录"
    params_schema = obj({})
    message_vars = {"missing": "缺少的记录"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        c = ctx.case.complaint
        if c is None:
            return
        missing = []
        if not ctx.records_by_kind.get("complaint_registration"):
            missing.append("投诉举报登记")
        if c.real_name and not c.pursued and not ctx.records_by_kind.get("complaint_reply"):
            missing.append("告知实名投诉举报人不启动程序的书面记录")
        if missing and (ctx.closed or not c.pursued):
            yield ctx.finding(self, Subject("case", ctx.case.id), missing="、".join(missing))


@rule_type("application_records")
class ApplicationRecords(Rule):
    summary = "依申请事项未记录申请登记、受理或不予受理、当场更正、凭证回执、一次性补正告知"
    params_schema = obj({})
    message_vars = {"missing": "缺少的记录"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        app = ctx.case.application
        if ctx.case.procedure != "application" or app is None:
            return
        need = [("application_registration", True), ("application_receipt", True)]
        need.append(("acceptance_notice", app.accepted is True))
        need.append(("rejection_notice", app.accepted is False))
        need.append(("supplement_notice", app.needs_supplement))
        missing = [
            vocab.DOCUMENT_KINDS[k]
            for k, wanted in need
            if wanted and not ctx.records_by_kind.get(k)
        ]
        # 002§8 当场更正申请材料中的错误: each correction points at the record made of it
        if any(f.record_id not in ctx.records for f in app.corrections):
            missing.append(vocab.DOCUMENT_KINDS["correction_record"])
        if missing:
            yield ctx.finding(self, Subject("case", ctx.case.id), missing="、".join(missing))


@rule_type("hearing_request_period")
class HearingRequestPeriod(Rule):
    summary = "告知听证权利后，当事人要求听证的期间（告知后五个工作日）届满前即作出处罚决定"
    params_schema = obj(
        {
            "period": PERIOD_SCHEMA,
            "notices": STRINGS,
            "decisions": STRINGS,
            "hearing_documents": STRINGS,
        }
    )
    message_vars = {"served": "告知书送达时间", "until": "要求听证期间届满", "decided": "决定时间"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems = check_periods(params, "period")
        for key in ("notices", "decisions", "hearing_documents"):
            problems += check_codes(params.get(key, []), vocab.DOCUMENT_KINDS, (key,), "文书种类")
        return problems

    def configure(self, params: Mapping[str, Any]) -> None:
        # 行政处罚法§64(一) 告知后五日内提出; §85 "五日" are working days.
        self.period = Period.parse(params.get("period", "5 working days"))
        self.notices = tuple(params.get("notices", ("rights_notice",)))
        self.decisions = tuple(params.get("decisions", ("penalty_decision",)))
        self.hearing_documents = tuple(
            params.get("hearing_documents", ("hearing_notice", "hearing_record"))
        )

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        """A decision made while the party could still ask for a hearing; not when the party
        asked for one (the hearing's documents govern), or waived it in writing
        (``hearing_waived`` on its statement record)."""
        if ctx.records_of(self.hearing_documents) or "hearing_requested" in ctx.case.flags:
            return
        if any(r.fields.get("hearing_waived") is True for r in ctx.case.text_records):
            return
        decisions = ctx.records_of(self.decisions)
        for notice in ctx.records_of(self.notices):
            rights = notice.fields.get("rights")
            if not isinstance(rights, (list, tuple)) or "hearing" not in rights:
                continue
            served = min(
                (
                    s.served_at
                    for s in ctx.case.services
                    if notice.id in s.document_ids and s.served_at is not None
                ),
                default=notice.made_at,
            )
            due = ctx.due(served, self.period)
            for decision in decisions:
                if decision.made_at < served or due.at is None:
                    continue  # before the notice: date-order; unknown calendar: undecided
                if due.met_by(decision.made_at):
                    yield ctx.finding(
                        self,
                        Subject("text_record", decision.id),
                        served=fmt_time(served, ctx.tz),
                        until=fmt_time(due.at, ctx.tz),
                        decided=fmt_time(decision.made_at, ctx.tz),
                    )


@rule_type("on_spot_collection")
class OnSpotCollection(Rule):
    summary = "当场收缴罚款超出法定情形（一百元以下，或事后难以执行、边远地区经当事人提出）"
    params_schema = obj({"limit": {"type": "number", "minimum": 0}, "grounds": STRINGS})
    message_vars = {"amount": "罚款数额", "limit": "可当场收缴的数额"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(
            params.get("grounds", []), vocab.COLLECTION_GROUNDS, ("grounds",), "当场收缴理由"
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.limit = float(params.get("limit", 100))
        self.grounds = frozenset(params.get("grounds", tuple(vocab.COLLECTION_GROUNDS)))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        p = ctx.case.penalty
        if p is None or not p.collected_on_spot or (p.amount or 0) <= self.limit:
            return
        if p.collection_ground in self.grounds:
            return
        yield ctx.finding(
            self, Subject("case", ctx.case.id), amount=f"{p.amount:g}元", limit=f"{self.limit:g}元"
        )
