"""Access to records: copies and disclosure approved by the profile's approver; never for
material that must stay confidential."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.finding import Finding, Subject
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.registry import STRINGS, Problem, Rule, check_codes, obj, rule_type


@rule_type("access_approval")
class AccessApproval(Rule):
    summary = "复制、公开执法记录未经本制度规定的负责人批准"
    params_schema = obj(
        {
            "kind": {"type": "string", "enum": sorted(vocab.ACCESS_KINDS)},
            "approvers": STRINGS,
            "authorised_approvers": STRINGS,
        },
        ("kind", "approvers"),
    )
    message_vars = {"approver": "应批准的人", "kind": "申请种类", "problem": "问题"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(
            params.get("approvers", []), vocab.POSITIONS, ("approvers",), "职务"
        ) + check_codes(
            params.get("authorised_approvers", []),
            vocab.POSITIONS,
            ("authorised_approvers",),
            "职务",
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.kind = params["kind"]
        self.approvers = frozenset(params["approvers"])
        self.deputies = frozenset(params.get("authorised_approvers", ()))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        names = [vocab.POSITIONS[p] for p in sorted(self.approvers)]
        names += [f"经授权的{vocab.POSITIONS[p]}" for p in sorted(self.deputies)]
        approver = "或".join(names)
        for req in ctx.case.access_requests:
            if req.kind != self.kind or req.decision is None or req.decision.outcome != "granted":
                continue
            d = req.decision
            ok = d.by.strip() and (
                d.position in self.approvers or (d.position in self.deputies and d.authorised)
            )
            if not ok:
                who = vocab.POSITIONS.get(d.position, "未载明的人员")
                yield ctx.finding(
                    self,
                    Subject("access_request", req.id),
                    approver=approver,
                    kind=vocab.ACCESS_KINDS[req.kind],
                    problem=f"实际由{who}同意" if d.by.strip() else "未载明同意（办理）人",
                )


@rule_type("access_confidential")
class AccessConfidential(Rule):
    summary = "同意查阅、复制或公开依法应当保密的记录（国家秘密、商业秘密、个人隐私）"
    params_schema = obj({"kinds": STRINGS})
    message_vars = {"kind": "申请种类"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(params.get("kinds", []), vocab.ACCESS_KINDS, ("kinds",), "申请种类")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.kinds = frozenset(params.get("kinds", ("copy", "disclosure")))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for req in ctx.case.access_requests:
            if (
                req.kind not in self.kinds
                or req.decision is None
                or req.decision.outcome != "granted"
            ):
                continue
            secret = ctx.case.confidential or any(
                (ctx.records[r].confidential if r in ctx.records else False)
                or (ctx.av_records[r].confidential if r in ctx.av_records else False)
                for r in req.record_ids
            )
            if secret:
                yield ctx.finding(
                    self, Subject("access_request", req.id), kind=vocab.ACCESS_KINDS[req.kind]
                )
