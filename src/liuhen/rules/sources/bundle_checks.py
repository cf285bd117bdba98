"""What a case bundle's schema cannot say: times that parse, ends after starts, segments
in order, ids unique, references that point at something.

Pure: takes an already schema-valid bundle dict, returns problems as ``$.path: reason``.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any


def json_path(parts: typing.Iterable[str | int]) -> str:
    """``$.acts[0].ended_at`` for the keys and indexes ``parts``."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


JsonPath = tuple[str | int, ...]

ID_KEYS = (
    "co_parties",
    "trips",
    "officers",
    "devices",
    "acts",
    "text_records",
    "av_records",
    "approvals",
    "services",
    "execution",
    "access_requests",
)
"""The bundle's lists whose items carry an ``id`` that must be unique within the list."""


class _Problems:
    """The ``$.path: reason`` lines found so far, and the ids each list declares."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ids: dict[str, set[str]] = {}

    def bad(self, path: JsonPath, reason: str) -> None:
        self.lines.append(f"{json_path(path)}: {reason}")

    def parse(self, path: JsonPath, value: Any) -> datetime | None:
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.bad(path, f"{value!r} 不是有效的时间")
            return None
        if moment.tzinfo is None:
            self.bad(path, f"时间 {value!r} 缺少时区偏移")
            return None
        return moment

    def order(
        self, path: JsonPath, start: Any, end: Any, what: str = "结束时间早于开始时间"
    ) -> None:
        s, e = _dt(start), _dt(end)
        if s is not None and e is not None and e < s:
            self.bad(path, what)

    def ref(self, path: JsonPath, value: Any, key: str, what: str) -> None:
        if value is not None and value not in self.ids[key]:
            self.bad(path, f"引用了不存在的{what} {value!r}")


def cross_checks(data: Mapping[str, Any]) -> list[str]:
    """Every problem the schema cannot see, as ``$.path: reason`` lines; only called on
    schema-valid data (dates are checked first, then order and references)."""
    found = _Problems()
    _check_dates(found, (), data)
    if found.lines:
        return found.lines
    _collect_ids(found, data)
    case = data["case"]
    found.order(
        ("case", "ended_at"),
        case.get("opened_at"),
        case.get("ended_at"),
        "案件终结时间早于开始时间",
    )
    _check_acts(found, data)
    _check_text_records(found, data)
    _check_av_records(found, data)
    _check_other_references(found, data)
    _check_parties_and_trips(found, data)
    return found.lines


def _check_parties_and_trips(found: _Problems, data: Mapping[str, Any]) -> None:
    """Trips end after they begin and name officers of the bundle; a party's confirmation of
    electronic service and an application's corrections point at text records."""
    for i, trip in enumerate(data.get("trips", [])):
        found.order(
            ("trips", i, "returned_at"),
            trip.get("departed_at"),
            trip.get("returned_at"),
            "返回时间早于出发时间",
        )
        for j, oid in enumerate(trip.get("officer_ids", [])):
            found.ref(("trips", i, "officer_ids", j), oid, "officers", "执法人员")
    parties: list[tuple[JsonPath, Any]] = [(("party",), data["party"])]
    parties += [(("co_parties", i), p) for i, p in enumerate(data.get("co_parties", []))]
    for path, party in parties:
        consent = party.get("electronic_service") or {}
        found.ref(
            (*path, "electronic_service", "record_id"),
            consent.get("record_id"),
            "text_records",
            "文书",
        )
    app = data["case"].get("application") or {}
    for j, fix in enumerate(app.get("corrections", [])):
        found.ref(
            ("case", "application", "corrections", j, "record_id"),
            fix.get("record_id"),
            "text_records",
            "文书",
        )


def _check_dates(found: _Problems, path: JsonPath, obj: Any) -> None:
    """Times (``at``, ``*_at``, ``start``, ``end``) that parse with an offset, and dates
    (``date``, ``*_date``, ``*_until``) that parse; a document's ``fields`` are its own."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "fields":
                continue
            if isinstance(v, str) and (k == "at" or k.endswith("_at") or k in ("start", "end")):
                found.parse((*path, k), v)
            elif isinstance(v, str) and (k == "date" or k.endswith(("_date", "_until"))):
                try:
                    date.fromisoformat(v)
                except (TypeError, ValueError):
                    found.bad((*path, k), f"{v!r} 不是有效的日期")
            else:
                _check_dates(found, (*path, k), v)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _check_dates(found, (*path, i), v)


def _collect_ids(found: _Problems, data: Mapping[str, Any]) -> None:
    """Each list's ids into ``found.ids``, reporting the repeated ones."""
    for key in ID_KEYS:
        seen: set[str] = set()
        for i, item in enumerate(data.get(key, [])):
            if item["id"] in seen:
                found.bad((key, i, "id"), f"编号 {item['id']!r} 重复")
            seen.add(item["id"])
        found.ids[key] = seen
    principal = data.get("party", {}).get("id")
    if principal is not None and principal in found.ids["co_parties"]:
        found.bad(("party", "id"), f"编号 {principal!r} 与共同当事人重复")
    found.ids["parties"] = found.ids["co_parties"] | ({principal} if principal else set())


def _check_acts(found: _Problems, data: Mapping[str, Any]) -> None:
    for i, act in enumerate(data.get("acts", [])):
        found.order(("acts", i, "ended_at"), act["started_at"], act.get("ended_at"))
        found.ref(("acts", i, "trip_id"), act.get("trip_id"), "trips", "外出执法")
        for j, oid in enumerate(act.get("officer_ids", [])):
            found.ref(("acts", i, "officer_ids", j), oid, "officers", "执法人员")


def _check_text_records(found: _Problems, data: Mapping[str, Any]) -> None:
    for i, r in enumerate(data.get("text_records", [])):
        found.order(("text_records", i, "ended_at"), r.get("started_at"), r.get("ended_at"))
        found.ref(("text_records", i, "act_id"), r.get("act_id"), "acts", "执法环节")
        found.ref(("text_records", i, "trip_id"), r.get("trip_id"), "trips", "外出执法")
        for j, oid in enumerate(r.get("officer_ids", [])):
            found.ref(("text_records", i, "officer_ids", j), oid, "officers", "执法人员")
        for j, s in enumerate(r.get("signatures", [])):
            found.ref(
                ("text_records", i, "signatures", j, "officer_id"),
                s.get("officer_id"),
                "officers",
                "执法人员",
            )


def _check_av_records(found: _Problems, data: Mapping[str, Any]) -> None:
    """References, segments in order without overlap, stored after the recording ended,
    interruptions resumed after they began."""
    for i, av in enumerate(data.get("av_records", [])):
        found.ref(("av_records", i, "device_id"), av["device_id"], "devices", "设备")
        found.ref(("av_records", i, "officer_id"), av["officer_id"], "officers", "执法人员")
        found.ref(("av_records", i, "act_id"), av.get("act_id"), "acts", "执法环节")
        found.ref(("av_records", i, "service_id"), av.get("service_id"), "services", "送达")
        found.ref(("av_records", i, "trip_id"), av.get("trip_id"), "trips", "外出执法")
        previous = None
        for j, seg in enumerate(av["segments"]):
            found.order(("av_records", i, "segments", j, "end"), seg["start"], seg["end"])
            if previous is not None and _dt(seg["start"]) < previous:  # type: ignore[operator]
                found.bad(
                    ("av_records", i, "segments", j, "start"),
                    "片段未按时间顺序排列或与前一片段重叠",
                )
            previous = _dt(seg["end"])
        last = max(_dt(s["end"]) for s in av["segments"])  # type: ignore[type-var]
        stored = _dt(av.get("stored_at"))
        if stored is not None and last is not None and stored < last:
            found.bad(("av_records", i, "stored_at"), "存储时间早于录制结束")
        for j, it in enumerate(av.get("interruptions", [])):
            found.order(
                ("av_records", i, "interruptions", j, "resumed_at"),
                it["at"],
                it.get("resumed_at"),
                "恢复时间早于中止时间",
            )


def _check_other_references(found: _Problems, data: Mapping[str, Any]) -> None:
    """Approval steps, services, execution, the case file and access requests point at
    officers, documents and recordings that exist."""
    for i, ap in enumerate(data.get("approvals", [])):
        for j, st in enumerate(ap["steps"]):
            found.ref(
                ("approvals", i, "steps", j, "officer_id"),
                st.get("officer_id"),
                "officers",
                "执法人员",
            )
    for i, sv in enumerate(data.get("services", [])):
        found.ref(("services", i, "trip_id"), sv.get("trip_id"), "trips", "外出执法")
        found.ref(("services", i, "party_id"), sv.get("party_id"), "parties", "当事人")
        notice = sv.get("public_notice") or {}
        found.order(
            ("services", i, "public_notice", "taken_down_at"),
            notice.get("published_at"),
            notice.get("taken_down_at"),
            "撤下时间早于公告发布时间",
        )
        for j, d in enumerate(sv["document_ids"]):
            found.ref(("services", i, "document_ids", j), d, "text_records", "文书")
        for j, a in enumerate(sv.get("av_record_ids", [])):
            found.ref(("services", i, "av_record_ids", j), a, "av_records", "音像记录")
    for i, ev in enumerate(data.get("execution", [])):
        for j, d in enumerate(ev.get("document_ids", [])):
            found.ref(("execution", i, "document_ids", j), d, "text_records", "文书")
    cf = data.get("case_file") or {}
    for j, d in enumerate(cf.get("catalogue", [])):
        found.ref(("case_file", "catalogue", j), d, "text_records", "文书")
    for j, st in enumerate(cf.get("av_statements", [])):
        found.ref(
            ("case_file", "av_statements", j, "av_record_id"),
            st["av_record_id"],
            "av_records",
            "音像记录",
        )
    texts, avs = found.ids["text_records"], found.ids["av_records"]
    for i, rq in enumerate(data.get("access_requests", [])):
        for j, rid in enumerate(rq.get("record_ids", [])):
            if rid not in texts and rid not in avs:
                found.bad(("access_requests", i, "record_ids", j), f"引用了不存在的记录 {rid!r}")
