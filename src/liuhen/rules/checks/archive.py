"""Archiving: the case file formed in time, AV statements in it, retention classes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.finding import Finding, Subject
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


@rule_type("case_file_deadline")
class CaseFileDeadline(Rule):
    summary = "执法行为终结后未在规定期限内形成案卷（并移交档案室）"
    params_schema = obj({"within": PERIOD_SCHEMA, "handed_over": {"type": "boolean"}}, ("within",))
    message_vars = {"limit": "期限", "start": "执法行为终结时间", "done": "案卷形成（移交）时间"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_periods(params, "within")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.within = Period.parse(params["within"])
        self.handed_over = bool(params.get("handed_over", False))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        ended = ctx.case.ended_at
        if ended is None or ended > ctx.now:
            return
        cf = ctx.case.case_file
        done = cf.formed_at if cf else None
        if self.handed_over and cf is not None:
            done = cf.handed_over_at if done is not None and cf.handed_over_at else None
        found = ctx.deadline(self, Subject("case_file", ctx.case.id), ended, self.within, done)
        if found is not None:
            yield found


@rule_type("case_file_av_statement")
class CaseFileAVStatement(Rule):
    summary = "案卷未收入音像记录的载体或存储位置及制作方法、时间、制作人、证明对象、录音内容说明"
    params_schema = obj({"audio_content": {"type": "boolean"}})
    message_vars = {"missing": "缺少的说明"}

    def configure(self, params: Mapping[str, Any]) -> None:
        self.audio = bool(params.get("audio_content", True))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        cf = ctx.case.case_file
        if cf is None or cf.formed_at is None:
            return
        statements = {s.av_record_id: s for s in cf.av_statements}
        for av in ctx.case.av_records:
            st = statements.get(av.id)
            if st is None:
                yield ctx.finding(
                    self, Subject("av_record", av.id), missing="整份说明（载体或存储位置）"
                )
                continue
            missing = []
            if st.carrier != "disc" and not st.location.strip():
                missing.append("光盘等载体或存储位置")
            for label, ok in (
                ("制作方法", st.method),
                ("制作时间", st.made_at),
                ("制作人", st.maker),
                ("证明对象", st.object),
            ):
                if not ok:
                    missing.append(label)
            if self.audio and not st.audio_content.strip():
                missing.append("录音内容")
            if missing:
                yield ctx.finding(self, Subject("av_record", av.id), missing="、".join(missing))


@rule_type("case_file_retention")
class CaseFileRetention(Rule):
    summary = "案卷未按档案管理规定标明保存期限"
    params_schema = obj(
        {"terms": STRINGS, "by_procedure": {"type": "object", "additionalProperties": STRINGS}},
        ("terms",),
    )
    message_vars = {"term": "案卷上的保存期限", "allowed": "应有的保存期限"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        problems = check_codes(
            params.get("terms", []), vocab.RETENTION_TERMS, ("terms",), "保存期限"
        )
        for proc, terms in params.get("by_procedure", {}).items():
            problems += check_codes(proc, vocab.PROCEDURES, ("by_procedure", proc), "程序")
            problems += check_codes(
                terms, vocab.RETENTION_TERMS, ("by_procedure", proc), "保存期限"
            )
        return problems

    def configure(self, params: Mapping[str, Any]) -> None:
        self.terms = tuple(params["terms"])
        self.by_procedure: dict[str, tuple[str, ...]] = {
            k: tuple(v) for k, v in params.get("by_procedure", {}).items()
        }

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        cf = ctx.case.case_file
        if cf is None or cf.formed_at is None:
            return
        allowed = self.by_procedure.get(ctx.case.procedure, self.terms)
        term = cf.retention.term if cf.retention else ""
        if term not in allowed:
            yield ctx.finding(
                self,
                Subject("case_file", ctx.case.id),
                term=vocab.RETENTION_TERMS.get(term, "未标明"),
                allowed="或".join(vocab.RETENTION_TERMS[t] for t in allowed),
            )


@rule_type("case_file_contents")
class CaseFileContents(Rule):
    summary = "案卷目录未收入案件的文字记录（如处罚决定书）"
    params_schema = obj({"except": STRINGS})
    message_vars = {"missing": "未收入案卷的文书"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(params.get("except", []), vocab.DOCUMENT_KINDS, ("except",), "文书种类")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.skip = frozenset(params.get("except", ()))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        """Every text record made before the case file was formed is in its catalogue. An
        empty catalogue is a file LiuHen forms itself, from every record (archive/case_file)."""
        cf = ctx.case.case_file
        if cf is None or cf.formed_at is None or not cf.catalogue:
            return
        listed = set(cf.catalogue)
        missing = [
            r
            for r in ctx.case.text_records
            if r.id not in listed and r.kind not in self.skip and r.made_at <= cf.formed_at
        ]
        if missing:
            names = "、".join(
                f"{vocab.DOCUMENT_KINDS.get(r.kind, r.kind)}（{r.number or r.id}）" for r in missing
            )
            yield ctx.finding(self, Subject("case_file", ctx.case.id), missing=names)
