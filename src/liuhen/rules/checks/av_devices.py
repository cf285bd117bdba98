"""The devices behind the footage: checked before use (000§12, read by ``av_precheck``),
in order and maintained (000§21(二)); and footage that no case holds (kept, and flagged
when it stays unlinked)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.av import AVRecord
from liuhen.domain.case import Device
from liuhen.domain.finding import Finding, Subject
from liuhen.rules.engine.context import CheckContext, fmt_time
from liuhen.rules.engine.periods import Period
from liuhen.rules.engine.registry import (
    PERIOD_SCHEMA,
    Problem,
    Rule,
    check_periods,
    obj,
    rule_type,
)


def _devices(ctx: CheckContext) -> dict[str, Device]:
    return {d.id: d for d in ctx.case.devices}


CHECK_WINDOW = timedelta(hours=12)
"""A pre-use check counts for a recording that starts at most this long after it."""


def checked_items(devices: Mapping[str, Device], av: AVRecord) -> frozenset[str]:
    """Items checked before ``av`` began: the device's check for the act (device register)
    and the record's own precheck note (either source satisfies 000§12)."""
    done: set[str] = set()
    device = devices.get(av.device_id)
    if device is not None and av.act_id is not None:
        for e in device.events:
            if e.kind == "check" and e.act_id == av.act_id:
                if av.started_at - CHECK_WINDOW <= e.at <= av.started_at:
                    done |= e.items
    pre = av.precheck
    if pre is not None and (pre.at is None or pre.at <= av.started_at):
        done |= pre.items
    return frozenset(done)


def _name(device: Device) -> str:
    kind = vocab.DEVICE_KINDS.get(device.kind, device.kind)
    return f"{kind} {device.serial}" if device.serial else kind


def _faulty_at(device: Device, moment: datetime) -> datetime | None:
    """When the fault still open at ``moment`` was reported, else None."""
    open_fault: datetime | None = None
    for e in sorted(device.events, key=lambda e: e.at):
        if e.at > moment:
            break
        if e.kind == "fault":
            open_fault = open_fault or e.at
        elif e.kind == "repair":
            open_fault = None
    return open_fault


@rule_type("av_device_condition")
class AVDeviceCondition(Rule):
    summary = "使用了有未修复故障或超过维护周期的记录设备（未按规定维护现场执法记录设备）"
    params_schema = obj({"maintenance_every": PERIOD_SCHEMA})
    message_vars = {"device": "设备（类型与序列号）", "problem": "设备的问题"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_periods(params, "maintenance_every")

    def configure(self, params: Mapping[str, Any]) -> None:
        every = params.get("maintenance_every")
        self.every = Period.parse(every) if every is not None else None

    def _problem(self, ctx: CheckContext, device: Device, av: AVRecord) -> str:
        start = av.started_at
        fault = _faulty_at(device, start)
        if fault is not None:
            return f"{fmt_time(fault, ctx.tz)} 报告故障后未登记修复即用于录制"
        if self.every is None:
            return ""
        kept = [
            e.at for e in device.events if e.kind in ("maintenance", "repair") and e.at <= start
        ]
        if not kept:
            return ""  # no maintenance history: nothing to measure the interval from
        due = ctx.due(max(kept), self.every)
        if due.at is not None and start > due.at:
            return f"上次维护 {fmt_time(max(kept), ctx.tz)}，已超过维护周期 {self.every}"
        return ""

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        devices = _devices(ctx)
        for av in ctx.case.av_records:
            device = devices.get(av.device_id)
            if device is None:
                continue
            problem = self._problem(ctx, device, av)
            if problem:
                yield ctx.finding(
                    self, Subject("av_record", av.id), device=_name(device), problem=problem
                )


@rule_type("av_unlinked")
class AVUnlinked(Rule):
    """Footage stored without a case must be linked within ``limit``. In a case: linked
    late. Not yet linked: ``services.av.unlinked`` lists it with this rule's message.
    Either way it is kept, never deleted (004§12)."""

    summary = "存储时未关联案件的音像记录，超过规定时间才关联或仍未关联（仍予保存，不得删除）"
    params_schema = obj({"limit": PERIOD_SCHEMA}, ("limit",))
    message_vars = {"stored": "存储时间", "limit": "期限", "state": "关联情况"}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        return check_periods(params, "limit")

    def configure(self, params: Mapping[str, Any]) -> None:
        self.limit = Period.parse(params["limit"])

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for av in ctx.case.av_records:
            if av.linked_at is None or av.stored_at is None:
                continue
            due = ctx.due(av.stored_at, self.limit)
            if due.at is not None and av.linked_at > due.at:
                yield ctx.finding(
                    self,
                    Subject("av_record", av.id),
                    due=due.at,
                    stored=fmt_time(av.stored_at, ctx.tz),
                    limit=str(self.limit),
                    state=f"{fmt_time(av.linked_at, ctx.tz)} 才关联到本案",
                )

    def message(self, *, subject: str, stored: str, state: str) -> tuple[str, str]:
        """The rule's message and remedy for footage that no case holds yet."""
        data = {
            "subject": subject,
            "stored": stored,
            "limit": str(self.limit),
            "state": state,
            "citation": self.citation,
            "due": "",
            "case": "",
        }
        return self.spec.message.format_map(data), self.spec.remedy.format_map(data)
