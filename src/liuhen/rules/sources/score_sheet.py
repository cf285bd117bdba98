"""The ``score_sheet`` section of a profile (案卷评查表, ``rules/scoring.py``): merged along
``extends`` and checked, every problem with its file, line and YAML path.

A child profile's ``score_sheet`` replaces its parent's ``title``, ``citation``, ``bands``,
``categories`` and ``unlisted`` when it gives them; its ``lines`` merge with the parent's by
``id`` (keys given replace), new ids are added, and ``disable`` drops a parent's line. Every
line, after merging, must cite its source (an article in the article texts), name a known
category, and either name rules of the profile with the points each violation costs, be
scored by hand (``manual`` with ``max``), or be a veto (``veto``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jsonschema

from liuhen.rules.scoring import Band, Category, Line, ScoreSheet
from liuhen.rules.sources import articles
from liuhen.rules.sources.profile_checks import ID_PATTERN, ProfileFile, _dotted, _schema_problem

_NUMBER = {"type": "number", "minimum": 0}
LINE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN},
        "category": {"type": "string"},
        "title": {"type": "string", "minLength": 1},
        "citation": {"type": "string", "minLength": 1},
        "rules": {"type": "array", "items": {"type": "string"}},
        "deduct": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "max": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "veto": {"type": "boolean"},
        "manual": {"type": "boolean"},
    },
}
SHEET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "citation": {"type": "string", "minLength": 1},
        "bands": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["grade", "min"],
                "additionalProperties": False,
                "properties": {"grade": {"type": "string", "minLength": 1}, "min": _NUMBER},
            },
        },
        "categories": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "name", "points"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": ID_PATTERN},
                    "name": {"type": "string", "minLength": 1},
                    "points": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                },
            },
        },
        "unlisted": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "category": {"type": "string"},
                "veto": _NUMBER,
                "major": _NUMBER,
                "minor": _NUMBER,
            },
        },
        "lines": {"type": "array", "items": LINE_SCHEMA},
        "disable": {"type": "array", "items": {"type": "string"}},
    },
}
_REPLACED = ("title", "citation", "bands", "categories", "unlisted")


@dataclass
class MergedSheet:
    """The sheet after ``extends``: its keys, its lines by id, and where each came from."""

    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    where: dict[tuple[str | int, ...], str] = field(default_factory=dict)
    """(key,) or ("lines", id, key) -> ``file:line: score_sheet.path`` of the value."""

    def at(self, *path: str | int) -> str:
        known = path
        while known and known not in self.where:
            known = known[:-1]
        return self.where.get(known, "score_sheet")


def read_sheet(raw: ProfileFile) -> dict[str, Any] | None:
    """The file's ``score_sheet`` checked against ``SHEET_SCHEMA`` (problems go to
    ``raw.problems``); None when the file has none or it is malformed."""
    sheet = raw.data.get("score_sheet")
    if sheet is None:
        return None
    errors = list(jsonschema.Draft202012Validator(SHEET_SCHEMA).iter_errors(sheet))
    for err in errors:
        raw.problems.append(_schema_problem(raw.smap, ("score_sheet", *err.absolute_path), err))
    return None if errors else dict(sheet)


def merge_sheets(chain: list[ProfileFile]) -> MergedSheet | None:
    """The sheet of the profile whose ``extends`` chain is ``chain`` (the file first)."""
    merged: MergedSheet | None = None
    for raw in reversed(chain):
        sheet = read_sheet(raw)
        if sheet is None:
            continue
        merged = merged or MergedSheet()
        _merge_one(merged, raw, sheet)
    return merged


def _merge_one(merged: MergedSheet, raw: ProfileFile, sheet: dict[str, Any]) -> None:
    def here(*path: str | int) -> str:
        full = ("score_sheet", *path)
        return f"{raw.smap.where(full)}: {_dotted(full)}"

    for key in _REPLACED:
        if key in sheet:
            merged.data[key] = sheet[key]
            merged.where[(key,)] = here(key)
    for i, line_id in enumerate(sheet.get("disable", [])):
        if merged.lines.pop(line_id, None) is None:
            raw.problems.append(f"{here('disable', i)}: 上级配置的评查表中没有项目 {line_id}")
    seen: set[str] = set()
    for i, line in enumerate(sheet.get("lines", [])):
        line_id = line["id"]
        if line_id in seen:
            raw.problems.append(f"{here('lines', i, 'id')}: 评查项目 {line_id} 重复定义")
        seen.add(line_id)
        merged.lines[line_id] = {**merged.lines.get(line_id, {}), **line}
        merged.where[("lines", line_id)] = here("lines", i)
        for key in line:
            merged.where[("lines", line_id, key)] = here("lines", i, key)


def sheet_problems(sheet: MergedSheet) -> list[str]:
    """Every problem of the merged sheet that loading refuses (``rule_problems`` adds what
    ``lint`` reports of the rules its lines name)."""
    problems: list[str] = []
    data = sheet.data
    for key in ("title", "categories", "bands"):
        if key not in data:
            problems.append(f"{sheet.at()}: score_sheet: 缺少必填项 {key}")
    categories = {c["id"] for c in data.get("categories", [])}
    if len(categories) < len(data.get("categories", [])):
        problems.append(f"{sheet.at('categories')}: 类别的 id 重复")
    bands = data.get("bands", [])
    if bands and min(b["min"] for b in bands) > 0:
        problems.append(f"{sheet.at('bands')}: 须有一个 min 为 0 的等次（最低等次）")
    for key in ("citation",):
        if key in data and articles.quote(data[key]) is None:
            problems.append(f"{sheet.at(key)}: 引用 {data[key]!r} 不存在")
    unlisted = data.get("unlisted", {})
    if unlisted and unlisted.get("category") not in categories:
        problems.append(
            f"{sheet.at('unlisted')}: 类别 {unlisted.get('category')!r} 不在 categories 中"
        )
    for line_id, line in sheet.lines.items():
        problems.extend(_line_problems(sheet, line_id, line, categories))
    return problems


def rule_problems(sheet: MergedSheet, rule_ids: set[str]) -> list[str]:
    """Lines that name a rule the profile does not have, or a rule another line already
    deducts for (its findings would be counted on the first line only)."""
    problems: list[str] = []
    owner: dict[str, str] = {}
    for line_id, line in sheet.lines.items():
        for i, rule_id in enumerate(line.get("rules") or []):
            where = f"{sheet.at('lines', line_id, 'rules')}[{i}]"
            if rule_id not in rule_ids:
                problems.append(f"{where}: 本配置没有规则 {rule_id}（评查项目 {line_id}）")
            elif rule_id in owner:
                problems.append(
                    f"{where}: 规则 {rule_id} 已在评查项目 {owner[rule_id]} 中扣分（评查项目 {line_id}）"
                )
            else:
                owner[rule_id] = line_id
    return problems


def _line_problems(
    sheet: MergedSheet,
    line_id: str,
    line: dict[str, Any],
    categories: set[str],
) -> list[str]:
    problems: list[str] = []

    def bad(key: str | None, reason: str) -> None:
        path = ("lines", line_id, key) if key else ("lines", line_id)
        problems.append(f"{sheet.at(*path)}: {reason}（评查项目 {line_id}）")

    absent = [k for k in ("category", "title", "citation") if not line.get(k)]
    if absent:
        bad(None, f"缺少 {', '.join(absent)}（每个评查项目都须写明所依据的条文 citation）")
    if line.get("citation") and articles.quote(line["citation"]) is None:
        bad("citation", f"引用 {line['citation']!r} 不存在（格式如 004§11、行政处罚法§59）")
    if line.get("category") and line["category"] not in categories:
        bad("category", f"类别 {line['category']!r} 不在 categories 中")
    rules = line.get("rules") or []
    if line.get("manual") and rules:
        bad("rules", "人工评分的项目不能同时按规则扣分")
    if not line.get("manual") and not rules:
        bad(None, "须写明按哪些规则（rules）扣分，或标明人工评分（manual）")
    if rules and not line.get("veto") and not line.get("deduct"):
        bad(None, "按规则扣分的项目须写明每项问题扣几分（deduct），或标明否决项（veto）")
    if line.get("manual") and not line.get("veto") and not line.get("max"):
        bad(None, "人工评分的项目须写明最多扣几分（max）")
    return problems


def build_sheet(sheet: MergedSheet | None) -> ScoreSheet | None:
    """The engine's ``ScoreSheet`` of a sheet ``sheet_problems`` found sound."""
    if sheet is None:
        return None
    data = sheet.data
    unlisted = dict(data.get("unlisted", {}))
    category = str(unlisted.pop("category", ""))
    return ScoreSheet(
        title=data["title"],
        citation=data.get("citation", ""),
        categories=tuple(Category(c["id"], c["name"], c["points"]) for c in data["categories"]),
        bands=tuple(Band(b["grade"], b["min"]) for b in data["bands"]),
        lines=tuple(
            Line(
                id=line_id,
                category=line["category"],
                title=line["title"],
                citation=line["citation"],
                rules=tuple(line.get("rules") or ()),
                deduct=line.get("deduct", 0),
                max=line.get("max"),
                veto=bool(line.get("veto")),
                manual=bool(line.get("manual")),
            )
            for line_id, line in sheet.lines.items()
        ),
        unlisted={k: float(v) for k, v in unlisted.items()},
        unlisted_category=category,
    )


def sheet_citations(sheet: MergedSheet) -> list[tuple[str, str]]:
    """(where, citation) of the sheet's own citation and each line's (for ``lint``)."""
    out = []
    if sheet.data.get("citation"):
        out.append((sheet.at("citation"), str(sheet.data["citation"])))
    for line_id, line in sheet.lines.items():
        if line.get("citation"):
            out.append((sheet.at("lines", line_id, "citation"), str(line["citation"])))
    return out
