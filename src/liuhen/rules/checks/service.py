"""Service (送达): the evidence each of the six modes needs, and documents served in time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.case import Service
from liuhen.domain.finding import Finding, Subject
from liuhen.rules.engine.context import CheckContext, fmt_time
from liuhen.rules.engine.periods import Period
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

Probe = Callable[[Service, CheckContext], bool]

EVIDENCE: dict[str, tuple[str, Probe]] = {
    "server_signed": ("送达人签名或盖章", lambda s, c: bool(s.receipt and s.receipt.server_signed)),
    "recipient_signed": (
        "受送达人（或符合法定条件的签收人）签名或盖章",
        lambda s, c: bool(s.receipt and s.receipt.recipient_signed),
    ),
    "receipt_date": ("送达回证上的收到日期", lambda s, c: bool(s.receipt and s.receipt.date)),
    "carrier": ("规定的邮寄方式", lambda s, c: bool(s.mail and s.mail.carrier)),
    "registration_kept": ("邮寄送达登记", lambda s, c: bool(s.mail and s.mail.registration_kept)),
    "postage_proof_kept": ("付邮凭证", lambda s, c: bool(s.mail and s.mail.postage_proof_kept)),
    "return_receipt_kept": ("回执", lambda s, c: bool(s.mail and s.mail.return_receipt_kept)),
    "refusal_reason": ("拒收事由", lambda s, c: bool(s.lien and s.lien.refusal_reason.strip())),
    "refusal_date": ("拒收日期", lambda s, c: bool(s.lien and s.lien.refusal_date)),
    "witness_signed": (
        "见证人签名或盖章",
        lambda s, c: bool(s.lien and s.lien.witness_signed and s.lien.witness.strip()),
    ),
    "left_at_residence": (
        "文书留在受送达人住所",
        lambda s, c: bool(s.lien and s.lien.left_at_residence),
    ),
    "witness_or_av": (
        "见证人签名或者拍照、录像记录",
        lambda s, c: bool(s.lien and s.lien.witness_signed) or bool(c.av_by_service.get(s.id)),
    ),
    "handover_reason": ("委托、转交原因", lambda s, c: bool(s.handover_reason.strip())),
    "other_modes_failed": (
        "其他方式均无法送达的情况（说明或未能送达的送达记录）",
        lambda s, c: (
            bool(s.public_notice and s.public_notice.other_modes_failed.strip())
            or any(a.mode != "public_notice" and a.result != "delivered" for a in s.attempts)
        ),
    ),
    "medium": (
        "公告的方式和载体",
        lambda s, c: bool(s.public_notice and s.public_notice.medium.strip()),
    ),
    "notice_kept": (
        "留存的书面公告",
        lambda s, c: bool(s.public_notice and s.public_notice.notice_kept),
    ),
    "reasons_in_file": (
        "案卷中记明的原因和经过",
        lambda s, c: bool(s.public_notice and s.public_notice.reasons_in_file),
    ),
    "av": ("送达过程的音像记录", lambda s, c: bool(c.av_by_service.get(s.id))),
    "consent": ("受送达的当事人同意并签订确认书（在送达之前）", lambda s, c: _consented(s, c)),
}


def _consented(s: Service, ctx: CheckContext) -> bool:
    """The party served agreed to electronic service, in writing, before it (行政处罚法§61 ¶2)."""
    party = next((p for p in ctx.case.parties if p.id == s.party_id), None)
    if s.party_id is None:
        party = ctx.case.party
    consent = party.electronic_service if party is not None else None
    if consent is None:
        return False
    return s.served_at is None or consent.consented_at <= s.served_at


@rule_type("service_evidence")
class ServiceEvidence(Rule):
    summary = "某种送达方式缺少该方式所需的证据（回证签名、邮寄凭证、见证人、原因、公告、音像等）"
    params_schema = obj(
        {"mode": {"type": "string"}, "requires": STRINGS, "carriers": STRINGS}, ("mode", "requires")
    )
    message_vars = {"missing": "缺少的证据", "mode": "送达方式"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return (
            check_codes(params.get("mode", ""), vocab.SERVICE_MODES, ("mode",), "送达方式")
            + check_codes(
                params.get("requires", []),
                {k: v[0] for k, v in EVIDENCE.items()},
                ("requires",),
                "送达证据",
            )
            + check_codes(
                params.get("carriers", []), vocab.MAIL_CARRIERS, ("carriers",), "邮寄方式"
            )
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.mode = params["mode"]
        self.requires = tuple(params["requires"])
        self.carriers = frozenset(params.get("carriers", ()))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for s in ctx.case.services:
            if s.mode != self.mode:
                continue
            missing = [EVIDENCE[item][0] for item in self.requires if not EVIDENCE[item][1](s, ctx)]
            if self.carriers and s.mail and s.mail.carrier and s.mail.carrier not in self.carriers:
                allowed = "或".join(vocab.MAIL_CARRIERS[c] for c in sorted(self.carriers))
                missing.append(f"应使用{allowed}")
            if missing:
                yield ctx.finding(
                    self,
                    Subject("service", s.id),
                    missing="、".join(missing),
                    mode=vocab.SERVICE_MODES[s.mode],
                )


@rule_type("document_served")
class DocumentServed(Rule):
    summary = "应当送达当事人的文书没有送达记录，或未在期限内送达"
    params_schema = obj(
        {
            "documents": {
                "type": "array",
                "items": obj(
                    {
                        "kind": {"type": "string"},
                        "within": PERIOD_SCHEMA,
                        "citation": CITATION_SCHEMA,
                    },
                    ("kind",),
                ),
            }
        },
        ("documents",),
    )
    message_vars = {
        "document": "文书名称",
        "limit": "送达期限",
        "start": "文书作出时间",
        "done": "送达时间",
    }

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        for i, item in enumerate(params.get("documents", [])):
            problems += check_codes(
                item["kind"], vocab.DOCUMENT_KINDS, ("documents", i, "kind"), "文书种类"
            )
            problems += [(("documents", i, *p), r) for p, r in check_periods(item, "within")]
        return problems

    def configure(self, params: Mapping[str, Any]) -> None:
        self.documents = [
            (i["kind"], Period.parse(i["within"]) if "within" in i else None, i.get("citation"))
            for i in params["documents"]
        ]

    def param_citations(self) -> tuple[str, ...]:
        return tuple(c for _, _, c in self.documents if c)

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for kind, within, citation in self.documents:
            for r in ctx.records_by_kind.get(kind, ()):
                served = [s.served_at for s in ctx.service_of(r.id) if s.served_at is not None]
                done = min(served) if served else None
                name = vocab.DOCUMENT_KINDS[kind]
                subject = Subject("text_record", r.id)
                if within is not None:
                    found = ctx.deadline(
                        self, subject, r.made_at, within, done, citation=citation, document=name
                    )
                    if found is not None:
                        yield found
                elif done is None and ctx.closed:
                    closed = fmt_time(ctx.case.ended_at, ctx.tz)
                    yield ctx.finding(
                        self,
                        subject,
                        citation=citation,
                        document=name,
                        limit="结案前",
                        due_text=f"结案 {closed}",
                        state="结案时仍未送达",
                    )
