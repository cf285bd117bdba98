"""When audio-video must (or should, or must not) be made, and exemptions from it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.case import Act, Device, Service
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


def _cited(key: str, **extra: Any) -> dict[str, Any]:
    item = obj({key: {"type": "string"}, "citation": CITATION_SCHEMA, **extra}, (key,))
    return {"type": "array", "items": item}


@rule_type("av_required")
class AVRequired(Rule):
    summary = "应当进行音像记录的执法环节和送达没有音像记录（且无可接受的免录理由）"
    params_schema = obj(
        {
            "acts": _cited("kind"),
            "flags": _cited("flag"),
            "problem_acts": _cited("kind"),
            "disputed_acts": _cited("kind"),
            "services": _cited("mode"),
            "served_documents": _cited("kind", modes=STRINGS),
            "exemptions": STRINGS,
        }
    )
    message_vars = {"what": "需要音像记录的情形（如“查封”“留置送达”）"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        for key, field_name, vocabulary, what in (
            ("acts", "kind", vocab.ACT_KINDS, "执法环节"),
            ("problem_acts", "kind", vocab.ACT_KINDS, "执法环节"),
            ("disputed_acts", "kind", vocab.ACT_KINDS, "执法环节"),
            ("flags", "flag", vocab.ACT_FLAGS, "环节标记"),
            ("services", "mode", vocab.SERVICE_MODES, "送达方式"),
            ("served_documents", "kind", vocab.DOCUMENT_KINDS, "文书种类"),
        ):
            for i, item in enumerate(params.get(key, [])):
                problems += check_codes(item[field_name], vocabulary, (key, i, field_name), what)
        for i, item in enumerate(params.get("served_documents", [])):
            problems += check_codes(
                item.get("modes", []),
                vocab.SERVICE_MODES,
                ("served_documents", i, "modes"),
                "送达方式",
            )
        problems += check_codes(
            params.get("exemptions", []), vocab.AV_EXEMPTION_REASONS, ("exemptions",), "免录理由"
        )
        return problems

    def configure(self, params: Mapping[str, Any]) -> None:
        def table(key: str, field_name: str) -> dict[str, str]:
            return {i[field_name]: i.get("citation", self.citation) for i in params.get(key, [])}

        self.acts = table("acts", "kind")
        self.flags = table("flags", "flag")
        self.problem_acts = table("problem_acts", "kind")
        self.disputed_acts = table("disputed_acts", "kind")
        self.services = table("services", "mode")
        self.served_documents = table("served_documents", "kind")
        # The modes in which a served document needs audio-video; absent: every mode. A mail
        # service's own receipts record it ("音像记录等方式", 002§29).
        self.served_modes = {
            i["kind"]: frozenset(i["modes"])
            for i in params.get("served_documents", [])
            if "modes" in i
        }
        self.exemptions = frozenset(params.get("exemptions", ()))

    def param_citations(self) -> tuple[str, ...]:
        tables = (self.acts, self.flags, self.problem_acts, self.disputed_acts, self.services)
        return tuple(c for t in (*tables, self.served_documents) for c in t.values())

    def requirement(self, act: Act, devices: tuple[Device, ...] = ()) -> tuple[str, str] | None:
        """Why ``act`` needs audio-video (what, citation), or None; an accepted exemption
        with its explanation counts as not needing it."""
        if self._exempt(act, devices):
            return None
        return self._requirement(act)

    def _exempt(self, act: Act, devices: tuple[Device, ...]) -> bool:
        ex = act.av_exemption
        if ex is None or ex.reason not in self.exemptions or not ex.explanation.strip():
            return False
        # 004§6(一): an explosive area excuses recording only without an explosion-proof device.
        return not (ex.reason == "explosive_area" and explosion_proof_at_hand(devices))

    def _requirement(self, act: Act) -> tuple[str, str] | None:
        # The most specific first: problems found at an inspection (004§14) before any
        # inspection (004§13).
        if act.kind in self.problem_acts and "problems_found" in act.flags:
            return f"{vocab.ACT_KINDS[act.kind]}中发现问题", self.problem_acts[act.kind]
        if act.kind in self.acts:
            return vocab.ACT_KINDS[act.kind], self.acts[act.kind]
        for flag in act.flags:
            if flag in self.flags:
                return vocab.ACT_FLAGS[flag], self.flags[flag]
        if act.kind in self.disputed_acts and "disputed" in act.flags:
            return f"容易引起争议的{vocab.ACT_KINDS[act.kind]}", self.disputed_acts[act.kind]
        return None

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for act in ctx.case.acts:
            if act.started_at > ctx.now or ctx.av_by_act.get(act.id):
                continue
            need = self._requirement(act)
            if need is None or self._exempt(act, ctx.case.devices):
                continue
            yield ctx.finding(self, Subject("act", act.id), citation=need[1], what=need[0])
        for service in ctx.case.services:
            if ctx.av_by_service.get(service.id):
                continue
            need = self._service_need(service, ctx)
            if need is not None:
                yield ctx.finding(
                    self, Subject("service", service.id), citation=need[1], what=need[0]
                )

    def _service_need(self, service: Service, ctx: CheckContext) -> tuple[str, str] | None:
        """Why ``service`` needs audio-video (what, citation): the served document's own
        provision first (催告书, 002§29, in the modes it names), then the mode's."""
        for doc_id in service.document_ids:
            doc = ctx.records.get(doc_id)
            if doc is None or doc.kind not in self.served_documents:
                continue
            modes = self.served_modes.get(doc.kind)
            if modes is None or service.mode in modes:
                return f"送达{vocab.DOCUMENT_KINDS[doc.kind]}", self.served_documents[doc.kind]
        citation = self.services.get(service.mode)
        if citation is None:
            return None
        return vocab.SERVICE_MODES.get(service.mode, service.mode), citation


@rule_type("av_advised")
class AVAdvised(Rule):
    summary = "根据实际情况宜进行音像记录的环节（容易引发争议等）没有音像记录（提示）"
    params_schema = obj(
        {
            "kinds": STRINGS,
            "services": STRINGS,
            "disputed": {"type": "boolean"},
            "disputed_kinds": STRINGS,
            "text_suffices": {"type": "boolean"},
        }
    )
    message_vars = {"what": "宜进行音像记录的情形"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return (
            check_codes(params.get("kinds", []), vocab.ACT_KINDS, ("kinds",), "执法环节")
            + check_codes(
                params.get("disputed_kinds", []), vocab.ACT_KINDS, ("disputed_kinds",), "执法环节"
            )
            + check_codes(
                params.get("services", []), vocab.SERVICE_MODES, ("services",), "送达方式"
            )
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.kinds = frozenset(params.get("kinds", ()))
        self.modes = frozenset(params.get("services", ()))
        self.disputed = bool(params.get("disputed", True))
        kinds = params.get("disputed_kinds")
        self.disputed_kinds = frozenset(kinds) if kinds is not None else None
        # Text is the basic form: where a text record of the act exists, the discretionary
        # provision is met without audio-video (000§6, 003§7, 001§8).
        self.text_suffices = bool(params.get("text_suffices", True))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for act in ctx.case.acts:
            if (
                ctx.av_by_act.get(act.id)
                or act.av_exemption is not None
                or act.started_at > ctx.now
                or (self.text_suffices and ctx.records_by_act.get(act.id))
            ):
                continue
            disputed_kind = self.disputed_kinds is None or act.kind in self.disputed_kinds
            if self.disputed and disputed_kind and "disputed" in act.flags:
                yield ctx.finding(self, Subject("act", act.id), what="容易引发争议的现场执法")
            elif act.kind in self.kinds:
                yield ctx.finding(self, Subject("act", act.id), what=vocab.ACT_KINDS[act.kind])
        for service in ctx.case.services:
            if service.mode in self.modes and not ctx.av_by_service.get(service.id):
                what = vocab.SERVICE_MODES[service.mode]
                yield ctx.finding(self, Subject("service", service.id), what=what)


@rule_type("av_not_suitable")
class AVNotSuitable(Rule):
    summary = (
        "不适宜音像记录的情形却进行了音像记录（易燃易爆区域用非防爆设备、秘密、未经同意的隐私）"
    )
    params_schema = obj({"checks": STRINGS})
    message_vars = {"why": "不适宜音像记录的原因"}

    def configure(self, params: Mapping[str, Any]) -> None:
        self.checks = frozenset(params.get("checks", ("explosive_area", "secrets", "privacy")))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        devices = {d.id: d for d in ctx.case.devices}
        for act in ctx.case.acts:
            for av in ctx.av_by_act.get(act.id, ()):
                device = devices.get(av.device_id)
                why = ""
                if "explosive_area" in self.checks and "explosive_area" in act.flags:
                    if device is None or not device.explosion_proof:
                        why = "在易燃、易爆危险区域使用了不符合防爆规定的设备"
                if not why and "secrets" in self.checks and "secrets" in act.flags:
                    why = "涉及军事、商业、技术秘密"
                if not why and "privacy" in self.checks and "privacy_without_consent" in act.flags:
                    why = "涉及个人隐私且未经当事人同意"
                if why:
                    yield ctx.finding(self, Subject("av_record", av.id), why=why)


def explosion_proof_at_hand(devices: tuple[Device, ...]) -> bool:
    """The case lists a device that meets the explosion-proof rules (004§6(一))."""
    return any(d.explosion_proof for d in devices)


_EXEMPTION_FACTS = {
    "explosive_area": "explosive_area",
    "secrets": "secrets",
    "privacy": "privacy_without_consent",
}


@rule_type("av_exemption_reason")
class AVExemptionReason(Rule):
    summary = "免于音像记录没有说明理由，或理由与记录的事实不符"
    params_schema = obj({"accepted": STRINGS})
    message_vars = {"problem": "免录理由的问题"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(
            params.get("accepted", []), vocab.AV_EXEMPTION_REASONS, ("accepted",), "免录理由"
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.accepted = frozenset(params.get("accepted", vocab.AV_EXEMPTION_REASONS))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for act in ctx.case.acts:
            ex = act.av_exemption
            if ex is None or ctx.av_by_act.get(act.id):
                continue
            problem = ""
            if ex.reason not in self.accepted:
                label = vocab.AV_EXEMPTION_REASONS.get(ex.reason, ex.reason)
                problem = f"理由“{label}”不属于本制度认可的免录情形"
            elif not ex.explanation.strip():
                problem = "未说明具体理由"
            elif ex.reason in _EXEMPTION_FACTS and _EXEMPTION_FACTS[ex.reason] not in act.flags:
                problem = "所称情形在执法环节记录中没有体现"
            elif ex.reason == "explosive_area" and explosion_proof_at_hand(ctx.case.devices):
                problem = "本案登记有符合防爆规定的记录设备，易燃易爆区域不构成免录理由"
            elif ex.reason == "text_sufficient" and not ctx.records_by_act.get(act.id):
                problem = "称文字记录足以记录，但该环节没有文字记录"
            if problem:
                yield ctx.finding(self, Subject("act", act.id), problem=problem)
