"""What a rule sees while it checks one case: the case, indexes over it, the clock and the
calendar, and helpers that turn a broken requirement into a ``Finding``.

Import cycle (type hints only): with ``liuhen.rules.engine.registry``: a rule and the
context it checks in are one idea.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any

from liuhen.domain import vocab
from liuhen.domain.av import AVRecord
from liuhen.domain.case import Act, Approval, Case, ExecutionEvent, Officer, Service, TextRecord
from liuhen.domain.finding import ADVICE, PENDING, VIOLATION, Finding, Subject
from liuhen.rules.engine.calendar import WorkingDays
from liuhen.rules.engine.periods import Due, Period, due_after

if TYPE_CHECKING:
    from liuhen.rules.engine.registry import Rule

_KIND_LABELS = {
    "act": ("执法环节", vocab.ACT_KINDS),
    "text_record": ("文书", vocab.DOCUMENT_KINDS),
    "approval": ("审批", vocab.APPROVAL_KINDS),
    "service": ("送达", vocab.SERVICE_MODES),
    "execution": ("执行", vocab.EXECUTION_KINDS),
    "access_request": ("申请", vocab.ACCESS_KINDS),
}


def fmt_time(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


class _Vars(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


class CheckContext:
    """One evaluation of one case. Indexes are computed on first use and shared by rules."""

    def __init__(self, case: Case, calendar: WorkingDays, now: datetime, tz: tzinfo) -> None:
        self.case = case
        self.calendar = calendar
        self.now = now
        self.tz = tz

    # -- indexes ---------------------------------------------------------------------------
    @cached_property
    def officers(self) -> dict[str, Officer]:
        return {o.id: o for o in self.case.officers}

    @cached_property
    def acts(self) -> dict[str, Act]:
        return {a.id: a for a in self.case.acts}

    @cached_property
    def records(self) -> dict[str, TextRecord]:
        return {r.id: r for r in self.case.text_records}

    @cached_property
    def records_by_kind(self) -> dict[str, list[TextRecord]]:
        index: dict[str, list[TextRecord]] = defaultdict(list)
        for r in self.case.text_records:
            index[r.kind].append(r)
        return index

    @cached_property
    def records_by_act(self) -> dict[str, list[TextRecord]]:
        index: dict[str, list[TextRecord]] = defaultdict(list)
        for r in self.case.text_records:
            if r.act_id:
                index[r.act_id].append(r)
        return index

    @cached_property
    def av_by_act(self) -> dict[str, list[AVRecord]]:
        index: dict[str, list[AVRecord]] = defaultdict(list)
        for av in self.case.av_records:
            if av.act_id:
                index[av.act_id].append(av)
        return index

    @cached_property
    def av_records(self) -> dict[str, AVRecord]:
        return {av.id: av for av in self.case.av_records}

    @cached_property
    def av_by_service(self) -> dict[str, list[AVRecord]]:
        index: dict[str, list[AVRecord]] = defaultdict(list)
        for av in self.case.av_records:
            if av.service_id:
                index[av.service_id].append(av)
        for s in self.case.services:
            for av_id in s.av_record_ids:
                linked = self.av_records.get(av_id)
                if linked is not None and linked not in index[s.id]:
                    index[s.id].append(linked)
        return index

    @cached_property
    def approvals_by_kind(self) -> dict[str, list[Approval]]:
        index: dict[str, list[Approval]] = defaultdict(list)
        for a in self.case.approvals:
            index[a.kind].append(a)
        return index

    @cached_property
    def services_by_document(self) -> dict[str, list[Service]]:
        index: dict[str, list[Service]] = defaultdict(list)
        for s in self.case.services:
            for d in s.document_ids:
                index[d].append(s)
        return index

    @cached_property
    def execution_by_kind(self) -> dict[str, list[ExecutionEvent]]:
        index: dict[str, list[ExecutionEvent]] = defaultdict(list)
        for e in self.case.execution:
            index[e.kind].append(e)
        return index

    def acts_of(self, kinds: Iterable[str]) -> list[Act]:
        wanted = set(kinds)
        return [a for a in self.case.acts if a.kind in wanted]

    def records_of(self, kinds: Iterable[str]) -> list[TextRecord]:
        out: list[TextRecord] = []
        for k in kinds:
            out.extend(self.records_by_kind.get(k, ()))
        return out

    def approvals_of(self, kinds: Iterable[str]) -> list[Approval]:
        out: list[Approval] = []
        for k in kinds:
            out.extend(self.approvals_by_kind.get(k, ()))
        return out

    def service_of(self, document_id: str) -> list[Service]:
        return self.services_by_document.get(document_id, [])

    @property
    def closed(self) -> bool:
        return self.case.ended_at is not None and self.case.ended_at <= self.now

    # -- events by reference, for ordering and follow-up rules ------------------------------
    def times(self, ref: str) -> list[tuple[datetime, Subject]]:
        """Moments of ``kind:code`` events: document, approval, act, execution, service, case."""
        kind, _, code = ref.partition(":")
        codes = code.split("|")
        out: list[tuple[datetime, Subject]] = []
        if kind == "document":
            out = [(r.made_at, Subject("text_record", r.id)) for r in self.records_of(codes)]
        elif kind == "approval":
            out = [
                (a.decided_at, Subject("approval", a.id))
                for a in self.approvals_of(codes)
                if a.outcome == "approved"
            ]
        elif kind == "act":
            out = [(a.started_at, Subject("act", a.id)) for a in self.acts_of(codes)]
        elif kind == "execution":
            for c in codes:
                out += [
                    (e.at, Subject("execution", e.id)) for e in self.execution_by_kind.get(c, ())
                ]
        elif kind == "service":
            for r in self.records_of(codes):
                out += [
                    (s.served_at, Subject("service", s.id))
                    for s in self.service_of(r.id)
                    if s.served_at is not None
                ]
        elif kind == "case":
            moment = {"opened": self.case.opened_at, "ended": self.case.ended_at}.get(code)
            if moment is not None:
                out = [(moment, Subject("case", self.case.id))]
        elif kind == "case_file" and self.case.case_file and self.case.case_file.formed_at:
            out = [(self.case.case_file.formed_at, Subject("case_file", self.case.id))]
        return sorted(out, key=lambda t: t[0])

    # -- labels and findings ----------------------------------------------------------------
    def label(self, subject: Subject) -> str:
        """How a person names the subject: its kind with its number or time, not an id."""
        if subject.kind == "case":
            return f"案件（{self.case.number or self.case.id}）"
        if subject.kind == "case_file":
            return "案卷"
        name, labels = _KIND_LABELS.get(subject.kind, (subject.kind, {}))
        obj_kind = {
            "act": lambda: self.acts[subject.id].kind,
            "text_record": lambda: self.records[subject.id].kind,
        }.get(subject.kind)
        if obj_kind is not None:
            try:
                name = labels.get(obj_kind(), name)
            except KeyError:
                pass
        elif subject.kind == "av_record":
            name = "音像记录"
        return f"{name}（{self._identify(subject)}）"

    def _identify(self, subject: Subject) -> str:
        """A record's number, else the time it was made or started; the id as a last resort."""
        when: datetime | None = None
        if subject.kind == "act" and subject.id in self.acts:
            when = self.acts[subject.id].started_at
        elif subject.kind == "text_record" and subject.id in self.records:
            record = self.records[subject.id]
            if record.number:
                return record.number
            when = record.made_at
        elif subject.kind == "av_record" and subject.id in self.av_records:
            segments = self.av_records[subject.id].segments
            when = segments[0].start if segments else None
        else:
            others: tuple[Approval | Service | ExecutionEvent, ...] = (
                *self.case.approvals,
                *self.case.services,
                *self.case.execution,
            )
            item = next((x for x in others if x.id == subject.id), None)
            when = (
                getattr(item, "decided_at", None)
                or getattr(item, "served_at", None)
                or getattr(item, "at", None)
            )
        return fmt_time(when, self.tz) if when is not None else subject.id

    def finding(
        self,
        rule: Rule,
        subject: Subject,
        *,
        status: str = VIOLATION,
        due: datetime | None = None,
        calendar_unknown: bool = False,
        citation: str | None = None,
        **values: Any,
    ) -> Finding:
        cited = citation or rule.citation
        if rule.severity == "advice" and status == VIOLATION:
            status = ADVICE  # a discretionary provision advises; it is never a violation
        data = _Vars(values)
        data.setdefault("subject", self.label(subject))
        data.setdefault("citation", cited)
        due_text = data.pop("due_text", None)
        data.setdefault("due", due_text if due_text is not None else fmt_time(due, self.tz))
        data.setdefault("case", self.case.number or self.case.id)
        return Finding(
            rule_id=rule.id,
            citation=cited,
            severity=rule.severity,
            status=status,
            subject=subject,
            message=rule.spec.message.format_map(data),
            remedy=rule.spec.remedy.format_map(data),
            due=due,
            calendar_unknown=calendar_unknown,
            case_id=self.case.id,
        )

    def due(self, start: datetime, period: Period) -> Due:
        return due_after(start, period, self.calendar, self.tz)

    def deadline(
        self,
        rule: Rule,
        subject: Subject,
        start: datetime,
        period: Period,
        done_at: datetime | None,
        **values: Any,
    ) -> Finding | None:
        """The finding for "done within ``period`` after ``start``", or None when satisfied.

        Past due and not done, or done late: violation. Not done and not yet due: pending
        with the due time. Calendar year unknown and not surely in time: pending, flagged.
        """
        due = self.due(start, period)
        if done_at is not None and due.met_by(done_at):
            return None
        values.setdefault("limit", str(period))
        values.setdefault("start", fmt_time(start, self.tz))
        values.setdefault("done", fmt_time(done_at, self.tz))
        if due.at is None:
            values.setdefault("due_text", f"（{due.unknown_year}年节假日安排未知，无法计算）")
            values.setdefault("state", f"{due.unknown_year}年节假日安排未知，暂无法判断是否逾期")
            return self.finding(rule, subject, status=PENDING, calendar_unknown=True, **values)
        if done_at is not None:
            values.setdefault("state", f"实际完成于 {fmt_time(done_at, self.tz)}，已逾期")
            return self.finding(rule, subject, due=due.at, **values)
        if due.met_by(self.now):
            values.setdefault("state", "尚未完成，请在期限前完成")
            return self.finding(rule, subject, status=PENDING, due=due.at, **values)
        values.setdefault("state", "至今未完成，已逾期")
        return self.finding(rule, subject, due=due.at, **values)
