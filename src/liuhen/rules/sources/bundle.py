"""The case bundle: one whole case as JSON, read, validated, and turned into a ``Case``.

The JSON Schema shipped with the package (``rules/schemas/case-bundle.schema.json``, copied
to docs/schemas/) is the single source of the format; docs/bundle.md is the guide. Loading
checks the schema, then what a schema cannot say (``bundle_checks``: end before start,
unknown references, segment order, duplicate ids), and reports every problem with its JSON
path in Chinese; ``bundle_codec`` turns the checked dict into a ``Case`` and back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import jsonschema
from jsonschema.exceptions import best_match

from liuhen.domain.case import Case
from liuhen.errors import BundleInvalid
from liuhen.rules.sources.bundle_checks import cross_checks, json_path
from liuhen.rules.sources.bundle_codec import case_from_checked
from liuhen.rules.sources.bundle_migrate import upgrade

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


def _read(source: str | Path) -> Any:
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BundleInvalid(f"无法读取案件包 {path}：{exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BundleInvalid(
            f"案件包 {path} 不是 UTF-8 编码的文本", details=[f"第 {exc.start + 1} 字节起无法解码"]
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleInvalid(
            f"案件包 {path} 不是有效的 JSON",
            details=[f"第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}"],
        ) from exc
    except RecursionError:
        raise BundleInvalid(f"案件包 {path} 嵌套过深，不是案件包") from None


def shape_problems(data: Any, max_depth: int = 32, *, text: bool = False) -> list[str]:
    """What no bundle may hold, found before the schema runs (it recurses): nesting deeper
    than ``max_depth``; with ``text``, strings holding a NUL or a lone surrogate (no database
    stores them the same way: the import asks); by JSON path, at most 20."""
    from liuhen.domain.limits import bad_text

    problems: list[str] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack and len(problems) < 20:
        path, item = stack.pop()
        if len(path) > max_depth:
            problems.append(f"{json_path(path)}: 嵌套超过 {max_depth} 层")
        elif text and isinstance(item, str) and (wrong := bad_text(item)):
            problems.append(f"{json_path(path)}: {wrong}")
        elif isinstance(item, dict):
            stack += [((*path, str(k)), v) for k, v in item.items()]
        elif isinstance(item, list):
            stack += [((*path, i), v) for i, v in enumerate(item)]
    return sorted(problems)


def validate_bundle(data: Any, source: str = "案件包") -> list[str]:
    """Every problem of ``data`` as ``$.path: reason`` lines; empty when valid. A version-1
    bundle is judged as ``bundle_migrate.upgrade`` makes it (paths name its version-2 form)."""
    if shaped := shape_problems(data):
        return shaped
    return _problems(upgrade(data))


def _problems(data: Any) -> list[str]:
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{json_path(e.absolute_path)}: {_explain(e)}" for e in errors]
    return problems or cross_checks(data)


def load_bundle(source: str | Path | Mapping[str, Any]) -> Case:
    """A validated ``Case`` from a bundle file or an already-parsed dict (version 1 upgraded)."""
    data = source if isinstance(source, Mapping) else _read(source)
    name = "案件包" if isinstance(source, Mapping) else f"案件包 {source}"
    problems = shape_problems(data)
    if not problems:
        data = upgrade(data)
        problems = _problems(data)
    if problems:
        raise BundleInvalid(f"{name} 有 {len(problems)} 处错误", details=problems)
    return case_from_checked(data)


def stored_case(data: Mapping[str, Any]) -> Case:
    """The ``Case`` of a bundle assembled from the store, whose entities were checked against
    the schema when written: only the cross-references are checked again (the schema pass
    is most of the cost); anything odd falls back to ``load_bundle``'s full report. Rows
    stored before version 2 are upgraded (``bundle_migrate``)."""
    data = upgrade(data, stored=True)
    try:
        if not cross_checks(data):
            return case_from_checked(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        pass
    return load_bundle(data)
