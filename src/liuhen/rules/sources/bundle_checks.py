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


def cross_checks(data: Mapping[str, Any]) -> list[str]:
    """Every problem the schema cannot see, as ``$.path: reason`` lines; only called on
    schema-valid data (dates are checked first, then order and references)."""
    problems: list[str] = []

    def bad(path: tuple[str | int, ...], reason: str) -> None:
        problems.append(f"{json_path(path)}: {reason}")

    def parse(path: tuple[str | int, ...], value: Any) -> datetime | None:
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            bad(path, f"{value!r} 不是有效的时间")
            return None
        if moment.tzinfo is None:
            bad(path, f"时间 {value!r} 缺少时区偏移")
            return None
        return moment

    def dates(path: tuple[str | int, ...], obj: Any) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k == "fields":
                    continue
                if isinstance(v, str) and (k == "at" or k.endswith("_at") or k in ("start", "end")):
                    parse((*path, k), v)
                elif isinstance(v, str) and (k == "date" or k.endswith(("_date", "_until"))):
                    try:
                        date.fromisoformat(v)
                    except (TypeError, ValueError):
                        bad((*path, k), f"{v!r} 不是有效的日期")
                else:
                    dates((*path, k), v)
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                dates((*path, i), v)

    dates((), data)
    if problems:
        return problems

    def order(
        path: tuple[str | int, ...], start: Any, end: Any, what: str = "结束时间早于开始时间"
    ) -> None:
        s, e = _dt(start), _dt(end)
        if s is not None and e is not None and e < s:
            bad(path, what)

    ids: dict[str, set[str]] = {}
    for key in (
        "officers",
        "devices",
        "acts",
        "text_records",
        "av_records",
        "approvals",
        "services",
        "execution",
        "access_requests",
    ):
        seen: set[str] = set()
        for i, item in enumerate(data.get(key, [])):
            if item["id"] in seen:
                bad((key, i, "id"), f"编号 {item['id']!r} 重复")
            seen.add(item["id"])
        ids[key] = seen

    def ref(path: tuple[str | int, ...], value: Any, key: str, what: str) -> None:
        if value is not None and value not in ids[key]:
            bad(path, f"引用了不存在的{what} {value!r}")

    case = data["case"]
    order(
        ("case", "ended_at"),
        case.get("opened_at"),
        case.get("ended_at"),
        "案件终结时间早于开始时间",
    )
    for i, act in enumerate(data.get("acts", [])):
        order(("acts", i, "ended_at"), act["started_at"], act.get("ended_at"))
        order(
            ("acts", i, "returned_at"),
            act["started_at"],
            act.get("returned_at"),
            "返回时间早于执法环节开始",
        )
        for j, oid in enumerate(act.get("officer_ids", [])):
            ref(("acts", i, "officer_ids", j), oid, "officers", "执法人员")
    for i, r in enumerate(data.get("text_records", [])):
        order(("text_records", i, "ended_at"), r.get("started_at"), r.get("ended_at"))
        ref(("text_records", i, "act_id"), r.get("act_id"), "acts", "执法环节")
        for j, oid in enumerate(r.get("officer_ids", [])):
            ref(("text_records", i, "officer_ids", j), oid, "officers", "执法人员")
        for j, s in enumerate(r.get("signatures", [])):
            ref(
                ("text_records", i, "signatures", j, "officer_id"),
                s.get("officer_id"),
                "officers",
                "执法人员",
            )
    for i, av in enumerate(data.get("av_records", [])):
        ref(("av_records", i, "device_id"), av["device_id"], "devices", "设备")
        ref(("av_records", i, "officer_id"), av["officer_id"], "officers", "执法人员")
        ref(("av_records", i, "act_id"), av.get("act_id"), "acts", "执法环节")
        ref(("av_records", i, "service_id"), av.get("service_id"), "services", "送达")
        previous = None
        for j, seg in enumerate(av["segments"]):
            order(("av_records", i, "segments", j, "end"), seg["start"], seg["end"])
            if previous is not None and _dt(seg["start"]) < previous:  # type: ignore[operator]
                bad(
                    ("av_records", i, "segments", j, "start"),
                    "片段未按时间顺序排列或与前一片段重叠",
                )
            previous = _dt(seg["end"])
        last = max(_dt(s["end"]) for s in av["segments"])  # type: ignore[type-var]
        stored = _dt(av.get("stored_at"))
        if stored is not None and last is not None and stored < last:
            bad(("av_records", i, "stored_at"), "存储时间早于录制结束")
        for j, it in enumerate(av.get("interruptions", [])):
            order(
                ("av_records", i, "interruptions", j, "resumed_at"),
                it["at"],
                it.get("resumed_at"),
                "恢复时间早于中止时间",
            )
    for i, ap in enumerate(data.get("approvals", [])):
        for j, st in enumerate(ap["steps"]):
            ref(
                ("approvals", i, "steps", j, "officer_id"),
                st.get("officer_id"),
                "officers",
                "执法人员",
            )
    for i, sv in enumerate(data.get("services", [])):
        for j, d in enumerate(sv["document_ids"]):
            ref(("services", i, "document_ids", j), d, "text_records", "文书")
        for j, a in enumerate(sv.get("av_record_ids", [])):
            ref(("services", i, "av_record_ids", j), a, "av_records", "音像记录")
    for i, ev in enumerate(data.get("execution", [])):
        for j, d in enumerate(ev.get("document_ids", [])):
            ref(("execution", i, "document_ids", j), d, "text_records", "文书")
    cf = data.get("case_file") or {}
    for j, d in enumerate(cf.get("catalogue", [])):
        ref(("case_file", "catalogue", j), d, "text_records", "文书")
    for j, st in enumerate(cf.get("av_statements", [])):
        ref(
            ("case_file", "av_statements", j, "av_record_id"),
            st["av_record_id"],
            "av_records",
            "音像记录",
        )
    for i, rq in enumerate(data.get("access_requests", [])):
        for j, rid in enumerate(rq.get("record_ids", [])):
            if rid not in ids["text_records"] and rid not in ids["av_records"]:
                bad(("access_requests", i, "record_ids", j), f"引用了不存在的记录 {rid!r}")
    return problems
