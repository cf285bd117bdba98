"""Storing audio-video: upload deadlines, custody, catalogue, evidence statements, retention."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.finding import PENDING, Finding, Subject
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.periods import Period
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


@rule_type("av_upload_deadline")
class AVUploadDeadline(Rule):
    summary = "音像记录未在规定期限内存储至执法信息系统（异地执法自返回起算）"
    params_schema = obj({"limit": PERIOD_SCHEMA, "remote_limit": PERIOD_SCHEMA}, ("limit",))
    message_vars = {
        "limit": "期限（如“24小时”“2个工作日”）",
        "start": "起算时间（录制完成或返回单位）",
        "done": "实际存储时间",
        "from_what": "起算事件",
    }

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_periods(params, "limit", "remote_limit")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.limit = Period.parse(params["limit"])
        remote = params.get("remote_limit")
        self.remote_limit = Period.parse(remote) if remote is not None else None

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for av in ctx.case.av_records:
            subject = Subject("av_record", av.id)
            # made on a trip: its own, its act's or its service's (003§17 ¶2, 001§10, 000§16)
            trip = ctx.case.trip_of(av) if self.remote_limit is not None else None
            if trip is not None and trip.returned_at is None:
                if av.stored_at is None:
                    yield ctx.finding(
                        self,
                        subject,
                        status=PENDING,
                        limit=str(self.remote_limit),
                        from_what="返回单位",
                        start="（尚未登记返回时间）",
                    )
                continue
            if trip is not None and trip.returned_at is not None:
                assert self.remote_limit is not None
                found = ctx.deadline(
                    self, subject, trip.returned_at, self.remote_limit, av.stored_at,
                    from_what="返回单位",
                )  # fmt: skip
            else:
                found = ctx.deadline(
                    self, subject, av.ended_at, self.limit, av.stored_at, from_what="录制完成"
                )
            if found is not None:
                yield found


@rule_type("av_custodian")
class AVCustodian(Rule):
    summary = "音像记录存储时未移交并载明本单位的专门管理人员"
    params_schema = obj({})

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for av in ctx.case.av_records:
            if av.stored_at is not None and not av.custodian.strip():
                yield ctx.finding(self, Subject("av_record", av.id))


@rule_type("av_catalogue")
class AVCatalogue(Rule):
    summary = (
        "音像记录缺少分类存储项目（执法机构、设备、执法人员、案件名称、当事人、记录日期、存储日期）"
    )
    params_schema = obj({})
    message_vars = {"missing": "缺少的项目"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        devices = {d.id for d in ctx.case.devices}
        case_missing = [
            label
            for label, ok in (
                ("执法机构名称", bool(ctx.case.agency.name.strip())),
                ("案件名称", bool(ctx.case.title.strip())),
                ("当事人姓名或单位名称", bool(ctx.case.party.name.strip())),
            )
            if not ok
        ]
        for av in ctx.case.av_records:
            missing = list(case_missing)
            if av.device_id not in devices:
                missing.append("执法记录设备")
            if av.officer_id not in ctx.officers:
                missing.append("执法人员信息")
            if av.stored_at is None:
                missing.append("存储日期")
            if missing:
                yield ctx.finding(self, Subject("av_record", av.id), missing="、".join(missing))


@rule_type("av_evidence_statement")
class AVEvidenceStatement(Rule):
    summary = "作为证据使用的音像记录未注明制作方法、制作时间、制作人和证明对象（或未制作光盘）"
    params_schema = obj({"carrier": {"type": "string", "enum": ["disc", "location", "any"]}})
    message_vars = {"missing": "缺少的事项"}

    def configure(self, params: Mapping[str, Any]) -> None:
        self.carrier = params.get("carrier", "any")

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for av in ctx.case.av_records:
            ev = av.evidence
            if ev is None:
                continue
            missing = [
                label
                for label, ok in (
                    ("制作方法", ev.method.strip()),
                    ("制作时间", ev.made_at),
                    ("制作人", ev.maker.strip()),
                    ("证明对象", ev.object.strip()),
                )
                if not ok
            ]
            if self.carrier == "disc" and ev.carrier != "disc":
                missing.append("光碟")
            if missing:
                yield ctx.finding(self, Subject("av_record", av.id), missing="、".join(missing))


@rule_type("av_retention")
class AVRetention(Rule):
    summary = "音像记录未标明保存期限，或办案音像资料的保存期限短于案卷"
    params_schema = obj({"case_terms": STRINGS}, ("case_terms",))
    message_vars = {"term": "记录上的保存期限"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(
            params.get("case_terms", []), vocab.RETENTION_TERMS, ("case_terms",), "保存期限"
        )

    def configure(self, params: Mapping[str, Any]) -> None:
        self.case_terms = frozenset(params["case_terms"])

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for av in ctx.case.av_records:
            term = av.retention.term if av.retention else ""
            if term not in self.case_terms:
                label = vocab.RETENTION_TERMS.get(term, "未标明")
                yield ctx.finding(self, Subject("av_record", av.id), term=label)


@rule_type("av_long_term")
class AVLongTerm(Rule):
    summary = "有异议、阻碍执法、处置群体性或突发事件的影像资料未长期保存"
    params_schema = obj({"flags": STRINGS}, ("flags",))
    message_vars = {"why": "需要长期保存的情形"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(params.get("flags", []), vocab.ACT_FLAGS, ("flags",), "环节标记")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.flags = tuple(params["flags"])

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for act in ctx.case.acts:
            why = next((vocab.ACT_FLAGS[f] for f in self.flags if f in act.flags), None)
            if why is None:
                continue
            for av in ctx.av_by_act.get(act.id, ()):
                r = av.retention
                if r is None or r.term not in ("long_term", "permanent") or not r.reason.strip():
                    yield ctx.finding(self, Subject("av_record", av.id), why=why)
