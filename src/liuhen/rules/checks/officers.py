"""Who acted: number of officers, their certificates, and showing them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.finding import Finding, Subject
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.registry import STRINGS, Problem, Rule, check_codes, obj, rule_type


def _kinds(params: Mapping[str, Any]) -> list[Problem]:
    return check_codes(
        params.get("kinds", []), vocab.ACT_KINDS, ("kinds",), "执法环节"
    ) + check_codes(params.get("documents", []), vocab.DOCUMENT_KINDS, ("documents",), "文书种类")


@rule_type("officers_certified")
class OfficersCertified(Rule):
    summary = "执法人员少于规定人数，或有执法人员没有（有效的）执法证件"
    params_schema = obj(
        {"kinds": STRINGS, "documents": STRINGS, "minimum": {"type": "integer", "minimum": 1}},
        ("kinds",),
    )
    message_vars = {"count": "具有有效执法证件的执法人员人数", "minimum": "规定的最少人数"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return _kinds(params)

    def configure(self, params: Mapping[str, Any]) -> None:
        self.kinds = frozenset(params["kinds"])
        self.documents = tuple(params.get("documents", ()))
        self.minimum = int(params.get("minimum", 2))

    def _count(self, ctx: CheckContext, officer_ids: tuple[str, ...], when: Any) -> int:
        day = when.astimezone(ctx.tz).date()
        count = 0
        for oid in set(officer_ids):
            o = ctx.officers.get(oid)
            if o is None or not (o.certificate_number or "").strip():
                continue
            if o.certificate_valid_until is not None and o.certificate_valid_until < day:
                continue
            count += 1
        return count

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for act in ctx.case.acts:
            if act.kind in self.kinds:
                n = self._count(ctx, act.officer_ids, act.started_at)
                if n < self.minimum:
                    yield ctx.finding(self, Subject("act", act.id), count=n, minimum=self.minimum)
        for r in ctx.records_of(self.documents):
            if r.officer_ids:
                n = self._count(ctx, r.officer_ids, r.made_at)
                if n < self.minimum:
                    yield ctx.finding(
                        self, Subject("text_record", r.id), count=n, minimum=self.minimum
                    )


@rule_type("certificates_shown")
class CertificatesShown(Rule):
    summary = "调查、检查时未出示执法证件，或未记录出示情况"
    params_schema = obj({"kinds": STRINGS}, ("kinds",))
    message_vars = {"problem": "问题"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return _kinds(params)

    def configure(self, params: Mapping[str, Any]) -> None:
        self.kinds = frozenset(params["kinds"])

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for act in ctx.acts_of(self.kinds):
            shown = [act.certificates_shown] + [
                r.certificates_shown for r in ctx.records_by_act.get(act.id, ())
            ]
            if True in shown:
                continue
            problem = "记录显示未出示执法证件" if False in shown else "未记录执法证件出示情况"
            yield ctx.finding(self, Subject("act", act.id), problem=problem)


@rule_type("officers_recorded")
class OfficersRecorded(Rule):
    summary = "调查笔录未记载执法人员数量、姓名、执法证件编号及出示情况，或未经当事人签字"
    params_schema = obj({"documents": STRINGS}, ("documents",))
    message_vars = {"missing": "缺少的事项"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return _kinds(params)

    def configure(self, params: Mapping[str, Any]) -> None:
        self.documents = tuple(params["documents"])

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for r in ctx.records_of(self.documents):
            act = ctx.acts.get(r.act_id) if r.act_id else None
            ids = r.officer_ids or (act.officer_ids if act else ())
            missing = []
            if not ids:
                missing.append("执法人员数量和姓名")
            elif any(
                not (ctx.officers[o].certificate_number or "").strip()
                for o in ids
                if o in ctx.officers
            ):
                missing.append("执法证件编号")
            if r.certificates_shown is None:
                missing.append("证件出示情况")
            roles = {s.role for s in r.signatures} | {
                x.role for x in r.refusals if x.reason.strip()
            }
            if not roles & {"party", "present_person", "witness"}:
                missing.append("当事人或有关在场人员签字或盖章")
            if missing:
                yield ctx.finding(self, Subject("text_record", r.id), missing="、".join(missing))
