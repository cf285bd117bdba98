"""Documents: which must exist, what they must say, who must sign, and consistency."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.case import TextRecord
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

FIELDS_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}


@rule_type("required_documents")
class RequiredDocuments(Rule):
    summary = "案件缺少按程序和结果应当具备的文书或审批（立案、调查、告知、决定、送达、结案等）"
    params_schema = obj(
        {
            "items": {
                "type": "array",
                "items": obj(
                    {
                        "name": {"type": "string"},
                        "procedures": STRINGS,
                        "outcomes": STRINGS,
                        "flags": STRINGS,
                        "acts": STRINGS,
                        "documents": STRINGS,
                        "approvals": STRINGS,
                        "executions": STRINGS,
                        "citation": CITATION_SCHEMA,
                    },
                    ("name",),
                ),
            },
            "only_closed": {"type": "boolean"},
        },
        ("items",),
    )
    message_vars = {"missing": "缺少的文书或记录"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        for i, item in enumerate(params.get("items", [])):
            for key, vocabulary, what in (
                ("procedures", vocab.PROCEDURES, "程序"),
                ("outcomes", vocab.OUTCOMES, "结果"),
                ("flags", vocab.CASE_FLAGS, "案件标记"),
                ("acts", vocab.ACT_KINDS, "执法环节"),
                ("documents", vocab.DOCUMENT_KINDS, "文书种类"),
                ("approvals", vocab.APPROVAL_KINDS, "审批种类"),
                ("executions", vocab.EXECUTION_KINDS, "执行事项"),
            ):
                problems += check_codes(item.get(key, []), vocabulary, ("items", i, key), what)
            if not (item.get("documents") or item.get("approvals") or item.get("executions")):
                problems.append((("items", i), "至少要列出一种文书、审批或执行事项"))
        return problems

    def configure(self, params: Mapping[str, Any]) -> None:
        self.items = list(params["items"])
        self.only_closed = bool(params.get("only_closed", True))

    def param_citations(self) -> tuple[str, ...]:
        return tuple(i["citation"] for i in self.items if "citation" in i)

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        case = ctx.case
        if self.only_closed and not ctx.closed:
            return
        for item in self.items:
            if "procedures" in item and case.procedure not in item["procedures"]:
                continue
            if "outcomes" in item and case.outcome not in item["outcomes"]:
                continue
            if "flags" in item and not case.flags & set(item["flags"]):
                continue
            if "acts" in item and not ctx.acts_of(item["acts"]):
                continue  # per measure: 查封、扣押, 强制拆除, 代履行 each need their own
            present = (
                ctx.records_of(item.get("documents", ()))
                or ctx.approvals_of(item.get("approvals", ()))
                or any(ctx.execution_by_kind.get(k) for k in item.get("executions", ()))
            )
            if not present:
                yield ctx.finding(
                    self,
                    Subject("case", case.id),
                    citation=item.get("citation"),
                    missing=item["name"],
                )


@rule_type("act_documents")
class ActDocuments(Rule):
    summary = "执法环节没有制作相应的文书（询问笔录、现场检查笔录、清单等）"
    params_schema = obj(
        {
            "acts": {
                "type": "array",
                "items": obj(
                    {
                        "kind": {"type": "string"},
                        "documents": STRINGS,
                        "flag": {"type": "string"},
                        "all": {"type": "boolean"},
                        "citation": CITATION_SCHEMA,
                    },
                    ("kind", "documents"),
                ),
            }
        },
        ("acts",),
    )
    message_vars = {"documents": "应当制作的文书"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        for i, item in enumerate(params.get("acts", [])):
            problems += check_codes(item["kind"], vocab.ACT_KINDS, ("acts", i, "kind"), "执法环节")
            problems += check_codes(
                item["documents"], vocab.DOCUMENT_KINDS, ("acts", i, "documents"), "文书种类"
            )
            if "flag" in item:
                problems += check_codes(
                    item["flag"], vocab.ACT_FLAGS, ("acts", i, "flag"), "环节标记"
                )
        return problems

    def configure(self, params: Mapping[str, Any]) -> None:
        self.acts = list(params["acts"])

    def param_citations(self) -> tuple[str, ...]:
        return tuple(i["citation"] for i in self.acts if "citation" in i)

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for item in self.acts:
            for act in ctx.acts_of((item["kind"],)):
                if act.ended_at is None or act.ended_at > ctx.now:
                    continue
                if "flag" in item and item["flag"] not in act.flags:
                    continue
                kinds = {r.kind for r in ctx.records_by_act.get(act.id, ())}
                missing = [k for k in item["documents"] if k not in kinds]
                # one of the documents suffices, unless the item says all (行政强制法§24:
                # 查封、扣押决定书和清单) or names a flag
                every = item.get("all") or item.get("flag")
                if len(missing) == len(item["documents"]) or (every and missing):
                    names = "、".join(vocab.DOCUMENT_KINDS[k] for k in missing)
                    yield ctx.finding(
                        self, Subject("act", act.id), citation=item.get("citation"), documents=names
                    )


@rule_type("document_fields")
class DocumentFields(Rule):
    summary = "文书缺少法定或规定的记载事项（或未加盖印章、应有而未制作）"
    params_schema = obj(
        {
            "documents": STRINGS,
            "fields": FIELDS_SCHEMA,
            "sealed": {"type": "boolean"},
            "required_with": STRINGS,
            "unless_field": {"type": "string"},
        },
        ("documents", "fields"),
    )
    message_vars = {"missing": "缺少的事项", "document": "文书名称"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(
            params.get("documents", []), vocab.DOCUMENT_KINDS, ("documents",), "文书种类"
        ) + check_codes(
            params.get("required_with", []), vocab.DOCUMENT_KINDS, ("required_with",), "文书种类"
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.documents = tuple(params["documents"])
        self.fields: dict[str, str] = dict(params["fields"])
        self.sealed = bool(params.get("sealed", False))
        self.required_with = tuple(params.get("required_with", ()))
        # A record whose field of this name is true is exempt (a party's written waiver of
        # its statement has nothing to review: 行政处罚法§45).
        self.unless_field = params.get("unless_field")

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        records = [
            r
            for r in ctx.records_of(self.documents)
            if not (self.unless_field and r.fields.get(self.unless_field) is True)
        ]
        name = vocab.DOCUMENT_KINDS[self.documents[0]]
        if not records and self.required_with:
            trigger = ctx.records_of(self.required_with)
            if trigger:
                yield ctx.finding(
                    self,
                    Subject("text_record", trigger[0].id),
                    missing=f"《{name}》（整份未制作）",
                    document=name,
                )
        for r in records:
            missing = [label for field, label in self.fields.items() if not r.has(field)]
            if self.sealed and not r.sealed:
                missing.append("行政机关印章")
            if missing:
                yield ctx.finding(
                    self,
                    Subject("text_record", r.id),
                    missing="、".join(missing),
                    document=vocab.DOCUMENT_KINDS.get(r.kind, name),
                )


@rule_type("document_signatures")
class DocumentSignatures(Rule):
    summary = "文书缺少执法人员、当事人等的签名或盖章，拒签也未记明事由"
    params_schema = obj(
        {"documents": {"type": "object", "additionalProperties": STRINGS}}, ("documents",)
    )
    message_vars = {"missing": "缺少的签名", "document": "文书名称"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        for kind, roles in params.get("documents", {}).items():
            problems += check_codes(kind, vocab.DOCUMENT_KINDS, ("documents", kind), "文书种类")
            problems += check_codes(roles, vocab.SIGNATURE_ROLES, ("documents", kind), "签名角色")
        return problems

    def configure(self, params: Mapping[str, Any]) -> None:
        self.documents: dict[str, tuple[str, ...]] = {
            k: tuple(v) for k, v in params["documents"].items()
        }

    @staticmethod
    def missing_roles(r: TextRecord, roles: tuple[str, ...]) -> list[str]:
        signed = {s.role for s in r.signatures if s.name.strip()}
        refused = {x.role: x for x in r.refusals}
        out = []
        for role in roles:
            if role in signed:
                continue
            refusal = refused.get(role)
            label = vocab.SIGNATURE_ROLES[role]
            if refusal is None:
                out.append(f"{label}签名或盖章")
            elif not refusal.reason.strip():
                out.append(f"{label}拒绝签名的事由")
        return out

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for kind, roles in self.documents.items():
            for r in ctx.records_by_kind.get(kind, ()):
                missing = self.missing_roles(r, roles)
                if missing:
                    yield ctx.finding(
                        self,
                        Subject("text_record", r.id),
                        missing="、".join(missing),
                        document=vocab.DOCUMENT_KINDS[kind],
                    )


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


@rule_type("party_consistency")
class PartyConsistency(Rule):
    summary = "各文书记载的当事人名称或身份证件号码与案件当事人不一致"
    params_schema = obj({"name_fields": STRINGS, "id_fields": STRINGS})
    message_vars = {"field": "不一致的项目", "found": "文书上的值", "expected": "案件当事人信息"}

    def configure(self, params: Mapping[str, Any]) -> None:
        self.name_fields = tuple(params.get("name_fields", ("party_name",)))
        self.id_fields = tuple(params.get("id_fields", ("party_id_number",)))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        party = ctx.case.party
        expected = {"名称": _norm(party.name), "证件号码": _norm(party.id_number or "")}
        for r in ctx.case.text_records:
            for label, names in (("名称", self.name_fields), ("证件号码", self.id_fields)):
                if not expected[label]:
                    continue
                for f in names:
                    value = r.fields.get(f)
                    if isinstance(value, str) and value.strip() and _norm(value) != expected[label]:
                        shown = party.name if label == "名称" else party.id_number
                        yield ctx.finding(
                            self,
                            Subject("text_record", r.id),
                            field=f"当事人{label}",
                            found=value,
                            expected=shown,
                        )


@rule_type("rights_notified")
class RightsNotified(Rule):
    summary = "作出决定前未告知（或未记录告知方式）陈述、申辩、申请回避、听证等权利"
    params_schema = obj(
        {"rights": STRINGS, "require_method": {"type": "boolean"}, "decisions": STRINGS},
        ("rights",),
    )
    message_vars = {"missing": "缺少的告知内容"}
    RIGHTS = {"statement": "陈述", "defence": "申辩", "recusal": "申请回避", "hearing": "听证"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(params.get("rights", []), cls.RIGHTS, ("rights",), "权利") + check_codes(
            params.get("decisions", []), vocab.DOCUMENT_KINDS, ("decisions",), "文书种类"
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.rights = tuple(params["rights"])
        self.method = bool(params.get("require_method", False))
        self.decisions = tuple(params.get("decisions", ("penalty_decision",)))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        decisions = ctx.records_of(self.decisions)
        if not decisions:
            return
        first = min(decisions, key=lambda r: r.made_at)
        notices = [
            r for r in ctx.records_by_kind.get("rights_notice", ()) if r.made_at <= first.made_at
        ]
        if not notices:
            yield ctx.finding(
                self,
                Subject("text_record", first.id),
                missing="拟处罚内容及陈述、申辩等权利（没有行政处罚事先告知书）",
            )
            return
        told: set[str] = set()
        for n in notices:
            value = n.fields.get("rights")
            told |= set(value) if isinstance(value, list) else set()
        missing = [self.RIGHTS[r] for r in self.rights if r not in told]
        if self.method and not any(n.has("notice_method") for n in notices):
            missing.append("告知方式")
        if missing:
            yield ctx.finding(
                self, Subject("text_record", notices[0].id), missing="、".join(missing)
            )
