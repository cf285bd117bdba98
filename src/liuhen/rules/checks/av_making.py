"""How audio-video is made: device check, opening statement, continuity, interruptions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.av import AVRecord, Interruption
from liuhen.domain.finding import Finding, Subject
from liuhen.rules.engine.context import CheckContext, fmt_time
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


@rule_type("av_precheck")
class AVPrecheck(Rule):
    summary = "音像记录开始前未检查设备性能、电量和储存空间"
    params_schema = obj({"items": STRINGS})
    message_vars = {"missing": "未检查的项目"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(params.get("items", []), vocab.PRECHECK_ITEMS, ("items",), "检查项目")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.items = tuple(params.get("items", tuple(vocab.PRECHECK_ITEMS)))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        from liuhen.rules.checks.av_devices import checked_items

        devices = {d.id: d for d in ctx.case.devices}
        for av in ctx.case.av_records:
            pre = av.precheck
            done = checked_items(devices, av)
            missing = [vocab.PRECHECK_ITEMS[i] for i in self.items if i not in done]
            if missing and pre is not None and pre.at is not None and pre.at > av.started_at:
                missing.append("检查时间晚于开始录制")
            if missing:
                yield ctx.finding(self, Subject("av_record", av.id), missing="、".join(missing))


@rule_type("av_opening_statement")
class AVOpeningStatement(Rule):
    summary = "音像记录开始时的语音说明缺少规定要素"
    params_schema = obj({"elements": STRINGS, "within": PERIOD_SCHEMA}, ("elements",))
    message_vars = {"missing": "缺少（或说明过晚）的说明要素"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_codes(
            params.get("elements", []), vocab.OPENING_ELEMENTS, ("elements",), "说明要素"
        ) + check_periods(params, "within")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.elements = tuple(params["elements"])
        within = params.get("within")
        # "先语音说明……然后进行不间断记录" (000§13, 003§14): said at the start, not later.
        self.within = Period.parse(within).as_timedelta() if within is not None else None

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for av in ctx.case.av_records:
            said = av.opening_statement.elements if av.opening_statement else frozenset()
            missing = [vocab.OPENING_ELEMENTS[e] for e in self.elements if e not in said]
            missing += self._late(av)
            if missing:
                yield ctx.finding(self, Subject("av_record", av.id), missing="、".join(missing))

    def _late(self, av: AVRecord) -> list[str]:
        """The statement (or its elements, by their marks) said later than ``within`` after
        the recording starts."""
        statement = av.opening_statement
        if self.within is None or statement is None:
            return []
        limit = self.within.total_seconds()
        if statement.at is not None and (statement.at - av.started_at).total_seconds() > limit:
            return [
                f"语音说明在开始录制{_seconds(statement.at - av.started_at)}后才作出（应先说明）"
            ]
        late = [
            vocab.OPENING_ELEMENTS[e]
            for e in self.elements
            if e in statement.elements and statement.marks.get(e, 0) > limit
        ]
        if late:
            return [
                f"{'、'.join(late)}在开始录制{self.within.total_seconds():.0f}秒后才说明（应先说明）"
            ]
        return []


def _seconds(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 60}分{seconds % 60}秒" if seconds >= 60 else f"{seconds}秒"


@rule_type("av_recording_notice")
class AVRecordingNotice(Rule):
    summary = "询问、处罚时使用执法记录设备，未事先告知对方"
    params_schema = obj({"kinds": STRINGS})

    def configure(self, params: Mapping[str, Any]) -> None:
        self.kinds = frozenset(params.get("kinds", ("inquiry", "on_the_spot_penalty")))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for act in ctx.acts_of(self.kinds):
            records = ctx.av_by_act.get(act.id, ())
            if not records:
                continue
            told = any(
                av.opening_statement is not None and "notice" in av.opening_statement.elements
                for av in records
            ) or any(
                r.fields.get("recording_notice") is True for r in ctx.records_by_act.get(act.id, ())
            )
            if not told:
                yield ctx.finding(self, Subject("act", act.id))


def _coverage(records: list[AVRecord]) -> list[tuple[datetime, datetime]]:
    spans = sorted((s.start, s.end) for av in records for s in av.segments)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def objective(i: Interruption, coded: bool = False) -> bool:
    """A reason is given and it is not coded as non-technical (004§9 非因技术原因不得中止);
    with ``coded``, only a coded objective cause counts (free text does not show the stop
    was for a technical reason)."""
    if coded:
        return i.cause is not None and i.cause != "non_technical"
    return bool(i.reason.strip() or i.cause) and i.cause != "non_technical"


def _explains(
    i: Interruption, start: datetime, end: datetime, slack: timedelta, coded: bool = False
) -> bool:
    if not objective(i, coded) or i.explained_by is None:
        return False
    if i.at > start + slack:
        return False
    return i.resumed_at is None or i.resumed_at >= end - slack


@rule_type("av_continuity")
class AVContinuity(Rule):
    summary = "同一执法环节的音像记录之间有间断，且没有说明中止原因的中止记录"
    params_schema = obj({"max_gap": PERIOD_SCHEMA, "coded_cause": {"type": "boolean"}})
    message_vars = {"gap_start": "间断开始", "gap_end": "间断结束", "gap": "间断时长"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_periods(params, "max_gap")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.max_gap = Period.parse(params.get("max_gap", "10s")).as_timedelta()
        self.coded = bool(params.get("coded_cause", False))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for act_id, records in ctx.av_by_act.items():
            spans = _coverage(records)
            interruptions = [i for av in records for i in av.interruptions]
            for (_, gap_start), (gap_end, _) in zip(spans, spans[1:], strict=False):
                if gap_end - gap_start <= self.max_gap:
                    continue
                if any(
                    _explains(i, gap_start, gap_end, self.max_gap, self.coded)
                    for i in interruptions
                ):
                    continue
                minutes = (gap_end - gap_start).total_seconds() / 60
                yield ctx.finding(
                    self,
                    Subject("act", act_id),
                    gap_start=fmt_time(gap_start, ctx.tz),
                    gap_end=fmt_time(gap_end, ctx.tz),
                    gap=f"{minutes:.0f}分钟" if minutes >= 1 else f"{minutes * 60:.0f}秒",
                )


@rule_type("av_interruption")
class AVInterruption(Rule):
    summary = "中止记录没有客观原因，重新开始时未语音说明，或无法继续时未书面说明（及报告）"
    params_schema = obj(
        {"report_if_not_resumed": {"type": "boolean"}, "coded_cause": {"type": "boolean"}}
    )
    message_vars = {"problem": "中止记录的问题", "at": "中止时间"}

    def configure(self, params: Mapping[str, Any]) -> None:
        self.report = bool(params.get("report_if_not_resumed", False))
        self.coded = bool(params.get("coded_cause", False))

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for av in ctx.case.av_records:
            for i in av.interruptions:
                problems = []
                if not i.reason.strip() and not i.cause:
                    problems.append("未记录中止原因")
                elif i.cause == "non_technical":
                    problems.append(
                        "中止并非因设备、天气、电量、存储等客观原因（非因技术原因不得中止）"
                    )
                elif self.coded and i.cause is None:
                    problems.append("中止原因未归入设备、天气、电量、存储、场所变化等客观原因")
                if i.resumed_at is not None and i.explained_by != "voice":
                    problems.append("重新开始记录时未对中止原因进行语音说明")
                if i.resumed_at is None and i.explained_by != "written":
                    problems.append("无法继续记录，事后未书面说明情况")
                if i.resumed_at is None and self.report and not i.reported_to_head:
                    problems.append("无法继续记录，未立即向负责人报告")
                if problems:
                    yield ctx.finding(
                        self,
                        Subject("av_record", av.id),
                        problem="；".join(problems),
                        at=fmt_time(i.at, ctx.tz),
                    )


@rule_type("av_coverage")
class AVCoverage(Rule):
    summary = "音像记录晚于执法活动开始或早于其结束（与环节和笔录记载的时间比对）"
    params_schema = obj({"tolerance": PERIOD_SCHEMA})
    message_vars = {"problem": "不一致之处", "act_time": "执法活动时间", "av_time": "音像记录时间"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_periods(params, "tolerance")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.tolerance = Period.parse(params.get("tolerance", "1 min")).as_timedelta()

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for act_id, records in ctx.av_by_act.items():
            act = ctx.acts.get(act_id)
            if act is None:
                continue
            starts = [act.started_at]
            ends = [act.ended_at] if act.ended_at else []
            for r in ctx.records_by_act.get(act_id, ()):
                if r.started_at:
                    starts.append(r.started_at)
                if r.ended_at:
                    ends.append(r.ended_at)
            spans = _coverage(records)
            first, last = spans[0][0], spans[-1][1]
            act_start = min(starts)
            if first > act_start + self.tolerance:
                yield ctx.finding(
                    self,
                    Subject("act", act_id),
                    problem="音像记录开始晚于执法活动开始",
                    act_time=fmt_time(act_start, ctx.tz),
                    av_time=fmt_time(first, ctx.tz),
                )
            if ends and last < max(ends) - self.tolerance and not self._stopped(records, last):
                yield ctx.finding(
                    self,
                    Subject("act", act_id),
                    problem="音像记录结束早于执法活动结束",
                    act_time=fmt_time(max(ends), ctx.tz),
                    av_time=fmt_time(last, ctx.tz),
                )

    def _stopped(self, records: list[AVRecord], last: datetime) -> bool:
        """Recording ended early because it could not go on, explained in writing afterwards
        (000§14, 003§15, 001§9, 004§9): not a coverage gap (av-interruption judges it)."""
        return any(
            i.resumed_at is None
            and i.explained_by == "written"
            and objective(i)
            and i.at >= last - self.tolerance
            for av in records
            for i in av.interruptions
        )


@rule_type("av_after_the_fact")
class AVAfterTheFact(Rule):
    summary = "音像片段在执法活动结束后才录制（事后补录），或同一文件出现在不同记录中（插入画面）"
    params_schema = obj({"tolerance": PERIOD_SCHEMA})
    message_vars = {"problem": "问题"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_periods(params, "tolerance")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.tolerance = Period.parse(params.get("tolerance", "10 min")).as_timedelta()

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        owners: dict[str, str] = {}
        for av in ctx.case.av_records:
            act = ctx.acts.get(av.act_id) if av.act_id else None
            late = (
                act is not None
                and act.ended_at is not None
                and any(s.start > act.ended_at + self.tolerance for s in av.segments)
            )
            if late:
                yield ctx.finding(
                    self, Subject("av_record", av.id), problem="有片段在执法活动结束后才开始录制"
                )
            for s in av.segments:
                if not s.sha256:
                    continue
                other = owners.setdefault(s.sha256, av.id)
                if other != av.id:
                    yield ctx.finding(
                        self,
                        Subject("av_record", av.id),
                        problem=f"片段与音像记录 {other} 的文件完全相同",
                    )
