"""The case bundle: one whole case as JSON, validated, to and from ``liuhen.domain.Case``.

The JSON Schema shipped beside this module (``schemas/case-bundle.schema.json``, copied to
docs/schemas/) is the single source of the format; docs/bundle.md is the guide. Loading
checks the schema, then what a schema cannot say (end before start, unknown references,
segment order, duplicate ids), and reports every problem with its JSON path in Chinese.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import jsonschema
from jsonschema.exceptions import best_match

from liuhen.domain import case as model
from liuhen.domain.case import Case
from liuhen.errors import BundleInvalid

FORMAT = "liuhen-case-bundle"
VERSION = 1
_CASE_KEYS = (
    "id", "number", "title", "cause", "procedure", "opened_at", "ended_at", "outcome",
    "flags", "confidential", "penalty", "application", "complaint",
)  # fmt: skip
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_TYPES = {"string": "文字", "number": "数字", "integer": "整数", "boolean": "是/否（true/false）",
          "array": "列表", "object": "对象", "null": "空值"}  # fmt: skip


@cache
def schema() -> dict[str, Any]:
    text = (
        resources.files("liuhen.rules")
        .joinpath("schemas/case-bundle.schema.json")
        .read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


@cache
def _entity_validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$defs": schema()["$defs"], "$ref": f"#/$defs/{kind}"})


def entity_problems(kind: str, entity: Mapping[str, Any], path: str) -> list[str]:
    """Problems of one bundle entity (a ``$defs`` name such as ``service``) on its own,
    each prefixed with ``path``, the place it would take in a bundle (``$.services[]``)."""
    errors = sorted(
        _entity_validator(kind).iter_errors(dict(entity)),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    return [f"{path}{json_path(e.absolute_path).removeprefix('$')}: {_explain(e)}" for e in errors]


def json_path(parts: typing.Iterable[str | int]) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _explain(err: jsonschema.ValidationError) -> str:
    if err.context:
        inner = best_match(err.context)
        if inner is not None and inner.validator != "type":
            return _explain(inner)
    # Both are set on every reported error; the stubs also allow jsonschema's Unset sentinel.
    v, inst, value = err.validator, cast(Any, err.instance), cast(Any, err.validator_value)
    if v == "required":
        missing = [k for k in value if isinstance(inst, dict) and k not in inst]
        return f"缺少必填字段 {', '.join(missing)}"
    if v == "additionalProperties":
        allowed = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        return f"未知字段 {', '.join(k for k in inst if k not in allowed)}"
    if v == "pattern":
        if isinstance(inst, str) and _NAIVE.match(inst):
            return f"时间 {inst!r} 缺少时区偏移（应写成 {inst}+08:00 这样）"
        if "T" in str(value):
            return f"{inst!r} 不是带时区偏移的 ISO 8601 时间（例：2026-09-14T09:30:00+08:00）"
        if "64" in str(value):
            return f"{inst!r} 不是 64 位小写十六进制 SHA-256"
        return f"{inst!r} 不是日期（YYYY-MM-DD）"
    if v == "enum":
        options = "、".join(map(str, value[:8]))
        more = " 等" if len(value) > 8 else ""
        return f"取值 {inst!r} 不在允许范围内（{options}{more}）"
    if v == "const":
        return f"应为 {value!r}"
    if v in ("type", "anyOf"):
        expected = value if v == "type" else "规定的类型"
        names = [_TYPES.get(t, t) for t in ([expected] if isinstance(expected, str) else expected)]
        return f"类型不对，应为{'或'.join(names)}"
    if v == "minItems":
        return f"至少要有 {value} 项"
    if v == "minLength":
        return "不能为空"
    if v == "minimum":
        return f"不能小于 {value}"
    return str(err.message)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _semantic(data: Mapping[str, Any]) -> list[str]:
    """What the schema cannot say. Only called on schema-valid data."""
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


# -- JSON <-> dataclasses, driven by the type hints of liuhen.domain.case --------------------


def _build(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _build(args[0], value)
        return list(value) if isinstance(value, list) else value
    if origin is tuple:
        return tuple(_build(typing.get_args(tp)[0], v) for v in value)
    if origin is frozenset:
        return frozenset(value)
    if origin is not None and issubclass(origin, Mapping):
        return {k: (list(v) if isinstance(v, list) else v) for k, v in value.items()}
    if tp is datetime:
        return datetime.fromisoformat(value)
    if tp is date:
        return date.fromisoformat(value)
    if tp is float and isinstance(value, int):
        return float(value)
    if dataclasses.is_dataclass(tp):
        hints = _hints(typing.cast(Any, tp))
        kwargs = {
            f.name: _build(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.name in value
        }
        return typing.cast(Any, tp)(**kwargs)
    return value


@cache
def _hints(tp: Any) -> dict[str, Any]:
    return typing.get_type_hints(tp, vars(model))


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            default = (
                f.default
                if f.default is not dataclasses.MISSING
                else (
                    f.default_factory()
                    if f.default_factory is not dataclasses.MISSING
                    else dataclasses.MISSING
                )
            )
            if default is not dataclasses.MISSING and v == default:
                continue
            out[f.name] = _dump(v)
        return out
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _read(source: str | Path) -> Any:
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BundleInvalid(f"无法读取案件包 {path}：{exc.strerror}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleInvalid(
            f"案件包 {path} 不是有效的 JSON",
            details=[f"第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}"],
        ) from exc


def validate_bundle(data: Any, source: str = "案件包") -> list[str]:
    """Every problem of ``data`` as ``$.path: reason`` lines; empty when valid."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{json_path(e.absolute_path)}: {_explain(e)}" for e in errors]
    return problems or _semantic(data)


def load_bundle(source: str | Path | Mapping[str, Any]) -> Case:
    """A validated ``Case`` from a bundle file or an already-parsed dict."""
    data = source if isinstance(source, Mapping) else _read(source)
    name = "案件包" if isinstance(source, Mapping) else f"案件包 {source}"
    problems = validate_bundle(data, name)
    if problems:
        raise BundleInvalid(f"{name} 有 {len(problems)} 处错误", details=problems)
    return case_from_checked(data)


def stored_case(data: Mapping[str, Any]) -> Case:
    """The ``Case`` of a bundle assembled from the store, whose entities were checked against
    the schema when written: only the cross-references are checked again (the schema pass
    is most of the cost); anything odd falls back to ``load_bundle``'s full report."""
    try:
        if not _semantic(data):
            return case_from_checked(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        pass
    return load_bundle(data)


def case_from_checked(data: Mapping[str, Any]) -> Case:
    """The ``Case`` of an already validated bundle dict."""
    merged = {**{k: data["case"][k] for k in _CASE_KEYS if k in data["case"]}}
    for key in ("agency", "party", "officers", "devices", "acts", "text_records", "av_records",
                "approvals", "services", "execution", "case_file", "access_requests"):  # fmt: skip
        if key in data:
            merged[key] = data[key]
    case: Case = _build(Case, merged)
    return case


def case_to_bundle(case: Case) -> dict[str, Any]:
    """The bundle dict of ``case``; ``load_bundle(case_to_bundle(c)) == c``."""
    flat = _dump(case)
    bundle: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    bundle["agency"] = flat.pop("agency")
    bundle["case"] = {k: flat.pop(k) for k in _CASE_KEYS if k in flat}
    bundle["party"] = flat.pop("party")
    bundle.update(flat)
    return bundle
