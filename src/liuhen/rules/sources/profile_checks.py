"""Checking profile files: their JSON Schema, ``extends`` merging, and each rule's own checks.

Every problem is reported with the file and line it comes from (``SourceMap``), so one
``ProfileInvalid`` can list them all; ``profiles.load_profile`` walks the ``extends`` chain
and calls these.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jsonschema

from liuhen.domain import vocab
from liuhen.domain.finding import SEVERITIES
from liuhen.errors import ProfileInvalid
from liuhen.rules import checks  # noqa: F401  (registers the rule types)
from liuhen.rules.engine.registry import (
    COMMON_MESSAGE_VARS,
    RULE_TYPES,
    Rule,
    RuleSpec,
    build_rule,
)
from liuhen.rules.sources import articles
from liuhen.rules.sources.yamlsource import SourceMap, load_yaml

ID_PATTERN = r"^[a-z][a-z0-9-]*$"

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN},
        "type": {"type": "string"},
        "title": {"type": "string"},
        "citation": {"type": "string"},
        "also_cites": {"type": "array", "items": {"type": "string"}},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "message": {"type": "string", "minLength": 1},
        "remedy": {"type": "string", "minLength": 1},
        "procedures": {
            "type": "array",
            "items": {"type": "string", "enum": list(vocab.PROCEDURES)},
        },
        "params": {"type": "object"},
        "blocks": {"type": "array", "items": {"type": "string", "enum": list(vocab.GATES)}},
    },
}
PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN},
        "name": {"type": "string"},
        "agency": {"type": "string"},
        "source": {"type": "string"},
        "description": {"type": "string"},
        "extends": {"type": "string"},
        "abstract": {"type": "boolean"},
        "timezone": {"type": "string"},
        "rules": {"type": "array", "items": RULE_SCHEMA},
        "disable": {"type": "array", "items": {"type": "string"}},
        "score_sheet": {"type": "object"},  # checked by score_sheet.SHEET_SCHEMA
    },
}
REQUIRED_RULE_KEYS = ("type", "citation", "severity", "message", "remedy")
_SCHEMA_MESSAGES = {
    "required": "缺少必填项",
    "additionalProperties": "有未知的项",
    "type": "类型不对",
    "enum": "取值不在允许范围内",
    "pattern": "格式不对",
    "minLength": "不能为空",
    "minimum": "数值太小",
}


@dataclass
class ProfileFile:
    """One profile file as read: data, where its values are, and its problems so far."""

    path: Path
    data: dict[str, Any]
    smap: SourceMap
    problems: list[str]


def read_profile_file(path: Path) -> ProfileFile:
    """``path`` parsed and checked against ``PROFILE_SCHEMA``; problems are collected, not
    raised, unless the file cannot be read at all."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileInvalid(f"无法读取制度配置 {path}：{exc.strerror}") from exc
    data, smap, problems = load_yaml(text, str(path))
    if data is None and not problems:
        problems.append(f"{path}:1: 文件为空")
    if problems:
        return ProfileFile(path, {}, smap, problems)
    for err in jsonschema.Draft202012Validator(PROFILE_SCHEMA).iter_errors(data):
        problems.append(_schema_problem(smap, tuple(err.absolute_path), err))
    return ProfileFile(path, data if isinstance(data, dict) else {}, smap, problems)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(顶层)"


def _schema_problem(
    smap: SourceMap, path: tuple[str | int, ...], err: jsonschema.ValidationError
) -> str:
    reason = _SCHEMA_MESSAGES.get(str(err.validator), "不符合格式要求")
    # Set on every reported error; the stubs also allow jsonschema's Unset sentinel.
    value = cast(Any, err.validator_value)
    if err.validator == "required":
        missing = [p for p in value if isinstance(err.instance, dict) and p not in err.instance]
        reason = f"缺少必填项 {', '.join(missing)}"
    elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        extra = [k for k in err.instance if k not in allowed]
        reason = f"未知的项 {', '.join(map(str, extra))}"
    elif err.validator == "enum":
        reason = f"{err.instance!r} 不在允许的取值中（{', '.join(map(str, value))}）"
    elif err.validator == "type":
        reason = f"{err.instance!r} 的类型不对（应为 {value}）"
    elif err.validator == "pattern":
        reason = f"{err.instance!r} 格式不对"
    elif err.validator in ("minimum", "exclusiveMinimum"):
        reason = f"{err.instance!r} 超出范围（最小为 {value}）"
    elif err.validator in ("maximum", "exclusiveMaximum"):
        reason = f"{err.instance!r} 超出范围（最大为 {value}）"
    return f"{smap.where(path)}: {_dotted(path)}: {reason}"


@dataclass
class MergedRule:
    """One rule after ``extends``: its keys, and where each one came from: the file and line
    and its YAML path in that file (``rules[3].params``)."""

    spec: dict[str, Any]
    origin: dict[tuple[str | int, ...], tuple[str, str]]  # path in the rule -> (file:line, yaml)


def _rules_of(raw: ProfileFile) -> dict[str, MergedRule]:
    out: dict[str, MergedRule] = {}
    for i, rule in enumerate(raw.data.get("rules", [])):
        if not isinstance(rule, dict) or not isinstance(rule.get("id"), str):
            continue
        if rule["id"] in out:
            raw.problems.append(
                f"{raw.smap.where(('rules', i, 'id'))}: rules[{i}]: 规则 {rule['id']} 重复定义"
            )

        def at(*path: str | int, i: int = i) -> tuple[str, str]:
            full = ("rules", i, *path)
            return raw.smap.where(full), _dotted(full)

        origin: dict[tuple[str | int, ...], tuple[str, str]] = {(): at()}
        for key, value in rule.items():
            origin[(key,)] = at(key)
            if key == "params" and isinstance(value, dict):
                for pk in value:
                    origin[("params", pk)] = at("params", pk)
        out[rule["id"]] = MergedRule(dict(rule), origin)
    return out


def merge_rules(parent: dict[str, MergedRule], child: ProfileFile) -> dict[str, MergedRule]:
    """``child``'s rules over ``parent``'s: ``disable`` drops, same ids merge (``params`` key
    by key), new ids are added. Problems go to ``child.problems``."""
    merged = {k: MergedRule(dict(v.spec), dict(v.origin)) for k, v in parent.items()}
    for i, rule_id in enumerate(child.data.get("disable", [])):
        if merged.pop(rule_id, None) is None:
            child.problems.append(
                f"{child.smap.where(('disable', i))}: disable[{i}]: 上级配置中没有规则 {rule_id}"
            )
    for rule_id, new in _rules_of(child).items():
        old = merged.get(rule_id)
        if old is None:
            merged[rule_id] = new
            continue
        spec = {**old.spec, **{k: v for k, v in new.spec.items() if k != "params"}}
        spec["params"] = {**old.spec.get("params", {}), **new.spec.get("params", {})}
        origin = {**old.origin, **new.origin}
        merged[rule_id] = MergedRule(spec, origin)
    return merged


def locate(m: MergedRule, path: tuple[str | int, ...]) -> str:
    """``file:line: yaml.path（规则 id）`` of ``path`` inside the rule: the nearest key that
    has a line, and the YAML path down to ``path`` itself."""
    known = path
    while known and known not in m.origin:
        known = known[:-1]
    where, yaml_path = m.origin[known]
    rest = _dotted(path[len(known) :]) if len(path) > len(known) else ""
    if rest:
        yaml_path += rest if rest.startswith("[") else "." + rest
    return f"{where}: {yaml_path}（规则 {m.spec['id']}）"


def _template_fields(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return {"{"}


def check_rule(m: MergedRule) -> tuple[RuleSpec | None, list[str]]:
    """The rule's spec when it is sound, else None and every problem with its file and line:
    required keys, a registered type, citations in the article texts, template variables,
    parameters against the type's JSON Schema and its own ``validate_params``."""
    spec = m.spec
    problems: list[str] = []

    def bad(path: tuple[str | int, ...], reason: str) -> None:
        problems.append(f"{locate(m, path)}: {reason}")

    absent = [key for key in REQUIRED_RULE_KEYS if not spec.get(key)]
    if absent:
        bad((), f"缺少 {', '.join(absent)}")
        return None, problems
    cls = RULE_TYPES.get(spec["type"])
    if cls is None:
        close = difflib.get_close_matches(str(spec["type"]), RULE_TYPES, n=1)
        hint = f"是不是 {close[0]}？" if close else f"可用：{', '.join(sorted(RULE_TYPES))}"
        bad(("type",), f"未知的规则类型 {spec['type']!r}（{hint}）")
        return None, problems
    _check_citations(spec, bad)
    _check_templates(spec, cls, bad)
    params = spec.get("params", {})
    schema_errors = list(jsonschema.Draft202012Validator(cls.params_schema).iter_errors(params))
    for err in schema_errors:
        path = ("params", *err.absolute_path)
        bad(path, _schema_problem(SourceMap(""), (), err).split(": ", 2)[-1])
    if not schema_errors:
        for path, reason in cls.validate_params(params):
            bad(("params", *path), reason)
        rule_tmp = _rule_spec(spec, cls, params)
        if not problems:
            probe = build_rule(rule_tmp)
            for c in probe.param_citations():
                if articles.quote(c) is None:
                    bad(("params",), f"参数中的引用 {c!r} 不存在")
        if not problems:
            return rule_tmp, []
    return None, problems


Bad = Callable[[tuple[str | int, ...], str], None]
"""Reports a problem at a path inside the rule (``check_rule``'s ``bad``)."""


def _check_citations(spec: dict[str, Any], bad: Bad) -> None:
    """The rule's citation and ``also_cites`` are in the article texts."""
    for key in ("citation",):
        if articles.quote(spec[key]) is None:
            bad(
                (key,),
                f"引用 {spec[key]!r} 不存在（格式如 004§11、行政处罚法§59，条文须在条文库中）",
            )
    for i, c in enumerate(spec.get("also_cites", [])):
        if articles.quote(c) is None:
            bad(("also_cites", i), f"引用 {c!r} 不存在")


def _check_templates(spec: dict[str, Any], cls: type[Rule], bad: Bad) -> None:
    """The message and remedy templates use only the variables the rule type offers."""
    known = set(COMMON_MESSAGE_VARS) | set(cls.message_vars)
    for key in ("message", "remedy"):
        unknown = _template_fields(spec[key]) - known
        if unknown:
            bad(
                (key,),
                f"模板中有未知的变量 {', '.join(sorted(unknown))}（可用：{', '.join(sorted(known))}）",
            )


def _rule_spec(spec: dict[str, Any], cls: type[Rule], params: Any) -> RuleSpec:
    return RuleSpec(
        id=spec["id"],
        type=spec["type"],
        citation=spec["citation"],
        severity=spec["severity"],
        message=spec["message"],
        remedy=spec["remedy"],
        title=spec.get("title", cls.summary),
        also_cites=tuple(spec.get("also_cites", ())),
        procedures=frozenset(spec["procedures"]) if spec.get("procedures") else None,
        params=params,
        blocks=frozenset(spec.get("blocks", ())),
    )
