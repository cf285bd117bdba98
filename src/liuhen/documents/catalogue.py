"""The catalogue of document kinds, loaded from ``catalogue.yaml`` and checked on load.

Every problem of the file is reported at once, each with its place in the file
(``kinds[3].fields[2].type: …``), as a ``ProfileInvalid`` — the catalogue is policy data
just as a profile is, and a wrong catalogue must stop the program before a form uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from liuhen.documents.model import (
    FIELD_TYPES,
    LAYOUTS,
    DocumentKind,
    FieldSpec,
    FilledDocument,
    SignatureSpec,
    validate_against,
)
from liuhen.errors import NotFound, ProfileInvalid

CODE = re.compile(r"^[a-z][a-z0-9_]*$")

_KIND_KEYS = {
    "code", "title", "stage", "layout", "fields", "signatures", "served", "receipt", "sealed",
    "numbered", "number_code", "certificates", "min_officers", "date_field", "citation",
}  # fmt: skip
_FIELD_KEYS = {
    "key", "label", "type", "required", "hint", "citation", "default", "options", "multiple",
    "after", "range_label", "required_when", "use",
}  # fmt: skip
_SIGNATURE_KEYS = {
    "role", "label", "required", "minimum", "field", "every_page", "refusal_needs_witness",
    "required_when", "citation", "hint",
}  # fmt: skip
_FLAGS = ("served", "receipt", "sealed", "numbered", "certificates")


@dataclass(frozen=True)
class Catalogue:
    """Document kinds by code, in catalogue order, with the stage and role names."""

    edition: str
    stages: Mapping[str, str]
    roles: Mapping[str, str]
    kinds: Mapping[str, DocumentKind]

    def get(self, code: str) -> DocumentKind:
        try:
            return self.kinds[code]
        except KeyError:
            raise NotFound(f"没有文书种类「{code}」（见 documents/catalogue.yaml）") from None

    def by_stage(self, stage: str) -> list[DocumentKind]:
        return [k for k in self.kinds.values() if k.stage == stage]

    def __contains__(self, code: object) -> bool:
        return code in self.kinds

    def __iter__(self) -> Iterator[DocumentKind]:
        return iter(self.kinds.values())

    def __len__(self) -> int:
        return len(self.kinds)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and check a catalogue file (the shipped one by default)."""
    if path is None:
        source = resources.files("liuhen.documents").joinpath("catalogue.yaml")
        name, text = "documents/catalogue.yaml", source.read_text("utf-8")
    else:
        name, text = str(path), path.read_text("utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileInvalid(f"{name}: 不是有效的 YAML：{exc}") from None
    return parse_catalogue(data, name)


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once."""
    return load_catalogue()


def get_kind(code: str) -> DocumentKind:
    return default_catalogue().get(code)


def validate(filled: FilledDocument, kind: DocumentKind | None = None) -> list[str]:
    """Every problem of ``filled`` as ``"key: 中文说明"``; ``[]`` when it may be saved. Without
    ``kind`` the document's own kind is looked up in the default catalogue."""
    if kind is None:
        catalogue = default_catalogue()
        if filled.kind not in catalogue:
            return [f"kind: 未知的文书种类「{filled.kind}」"]
        kind = catalogue.get(filled.kind)
    return validate_against(filled, kind)


def parse_catalogue(data: object, name: str = "catalogue") -> Catalogue:
    """Build a catalogue from parsed YAML; raises ``ProfileInvalid`` listing every problem."""
    p = _Parser(name)
    catalogue = p.catalogue(data)
    if p.problems:
        raise ProfileInvalid(
            f"{name}: 文书目录有 {len(p.problems)} 处错误，请改正后重新载入", details=p.problems
        )
    assert catalogue is not None
    return catalogue


class _Parser:
    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.name}: {where}: {message}")

    def mapping(self, data: object, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail(where, "应为键值对（mapping）")
            return {}
        return data

    def names(self, data: object, where: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for code, label in self.mapping(data, where).items():
            if not isinstance(code, str) or not CODE.match(code):
                self.fail(f"{where}.{code}", "代码应为小写英文字母、数字和下划线")
            elif not isinstance(label, str) or not label.strip():
                self.fail(f"{where}.{code}", "缺少中文名称")
            else:
                out[code] = label
        return out

    def catalogue(self, data: object) -> Catalogue | None:
        top = self.mapping(data, "(文件)")
        for key in sorted(
            set(top) - {"edition", "stages", "layouts", "roles", "shared_fields", "kinds"}
        ):
            self.fail(key, "未知的项目")
        edition = top.get("edition")
        if not isinstance(edition, str) or not edition.strip():
            self.fail("edition", "缺少版本（edition）")
            edition = ""
        stages = self.names(top.get("stages"), "stages")
        roles = self.names(top.get("roles"), "roles")
        layouts = self.names(top.get("layouts", {}), "layouts")
        for code in sorted(set(layouts) - set(LAYOUTS)):
            self.fail(f"layouts.{code}", f"没有这种版式（可用：{'、'.join(LAYOUTS)}）")
        shared = self.mapping(top.get("shared_fields", {}), "shared_fields")
        kinds_data = top.get("kinds")
        if not isinstance(kinds_data, list) or not kinds_data:
            self.fail("kinds", "应为文书种类的列表，且不能为空")
            kinds_data = []
        kinds: dict[str, DocumentKind] = {}
        for i, item in enumerate(kinds_data):
            kind = self.kind(item, f"kinds[{i}]", stages, roles, shared)
            if kind is None:
                continue
            if kind.code in kinds:
                self.fail(f"kinds[{i}].code", f"文书种类「{kind.code}」重复")
            kinds[kind.code] = kind
        return Catalogue(edition, stages, roles, kinds)

    def kind(
        self,
        item: object,
        where: str,
        stages: dict[str, str],
        roles: dict[str, str],
        shared: dict[str, Any],
    ) -> DocumentKind | None:
        data = self.mapping(item, where)
        if not data:
            return None
        for key in sorted(set(data) - _KIND_KEYS):
            self.fail(f"{where}.{key}", "未知的项目")
        code = data.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            self.fail(f"{where}.code", "文书代码应为小写英文（如 penalty_decision）")
            code = f"?{where}"
        where = f"{where}({code})"
        title = self.text(data, "title", where, required=True)
        stage = data.get("stage")
        if stage not in stages:
            self.fail(f"{where}.stage", f"「{stage}」不是阶段（可用：{'、'.join(stages)}）")
        layout = data.get("layout", "form")
        if layout not in LAYOUTS:
            self.fail(f"{where}.layout", f"「{layout}」不是版式（可用：{'、'.join(LAYOUTS)}）")
        flags = {f: self.flag(data, f, where) for f in _FLAGS}
        min_officers = data.get("min_officers", 0)
        if not isinstance(min_officers, int) or isinstance(min_officers, bool) or min_officers < 0:
            self.fail(f"{where}.min_officers", "应为不小于 0 的整数")
            min_officers = 0
        fields = self.fields(data.get("fields"), f"{where}.fields", shared)
        keys = {f.key: f for f in fields}
        signatures = self.signatures(data.get("signatures", []), f"{where}.signatures", roles, keys)
        date_field = data.get("date_field")
        if date_field is not None and (date_field not in keys or keys[date_field].type != "date"):
            self.fail(f"{where}.date_field", f"「{date_field}」不是本文书的日期字段")
        if layout == "prose" and date_field is None:
            date_field = "issued_on" if "issued_on" in keys else None
            if date_field is None:
                self.fail(f"{where}.date_field", "正文式文书须指明成文日期字段（date_field）")
        return DocumentKind(
            code=code,
            title=title,
            stage=str(stage),
            layout=str(layout),
            fields=fields,
            signatures=signatures,
            number_code=self.text(data, "number_code", where),
            min_officers=min_officers,
            date_field=date_field,
            citation=self.text(data, "citation", where),
            **flags,
        )

    def text(self, data: dict[str, Any], key: str, where: str, *, required: bool = False) -> str:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(f"{where}.{key}", "应为文字")
            return ""
        if required and not value.strip():
            self.fail(f"{where}.{key}", "不能为空")
        return value

    def flag(self, data: dict[str, Any], key: str, where: str, default: bool = False) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{where}.{key}", "应为 true 或 false")
            return default
        return value

    def fields(self, items: object, where: str, shared: dict[str, Any]) -> tuple[FieldSpec, ...]:
        if not isinstance(items, list) or not items:
            self.fail(where, "应为字段列表，且不能为空")
            return ()
        out: list[FieldSpec] = []
        seen: dict[str, FieldSpec] = {}
        for i, item in enumerate(items):
            data = dict(self.mapping(item, f"{where}[{i}]"))
            if "use" in data:
                base = shared.get(data.pop("use"))
                if not isinstance(base, dict):
                    self.fail(f"{where}[{i}].use", "shared_fields 中没有这个字段")
                    continue
                data = {**base, **data}
            spec = self.field(data, f"{where}[{i}]", seen)
            if spec is not None:
                seen[spec.key] = spec
                out.append(spec)
        return tuple(out)

    def field(
        self, data: dict[str, Any], where: str, seen: dict[str, FieldSpec]
    ) -> FieldSpec | None:
        for unknown in sorted(set(data) - _FIELD_KEYS):
            self.fail(f"{where}.{unknown}", "未知的项目")
        key = data.get("key")
        if not isinstance(key, str) or not CODE.match(key):
            self.fail(f"{where}.key", "字段代码应为小写英文（如 party_name）")
            return None
        where = f"{where}({key})"
        if key in seen:
            self.fail(where, f"字段「{key}」重复")
        label = self.text(data, "label", where, required=True)
        ftype = data.get("type")
        if ftype not in FIELD_TYPES:
            self.fail(f"{where}.type", f"「{ftype}」不是字段类型（可用：{'、'.join(FIELD_TYPES)}）")
        options = self.names(data["options"], f"{where}.options") if "options" in data else {}
        if ftype == "choice" and not options:
            self.fail(f"{where}.options", "选项字段须列出可选项")
        if options and ftype != "choice":
            self.fail(f"{where}.options", "只有选项（choice）字段才有可选项")
        after = data.get("after")
        if after is not None:
            first = seen.get(after)
            if first is None:
                self.fail(f"{where}.after", f"「{after}」应为本字段之前的字段")
            elif first.type != ftype or ftype not in ("date", "datetime"):
                self.fail(f"{where}.after", "起止字段须同为日期或日期时间")
        return FieldSpec(
            key=key,
            label=label,
            type=str(ftype),
            required=self.flag(data, "required", where),
            hint=self.text(data, "hint", where),
            citation=self.text(data, "citation", where),
            default=self.text(data, "default", where),
            options=tuple(options.items()),
            multiple=self.flag(data, "multiple", where),
            after=after,
            range_label=self.text(data, "range_label", where),
            required_when=self.when(data.get("required_when"), f"{where}.required_when", seen),
        )

    def when(
        self, data: object, where: str, fields: Mapping[str, FieldSpec]
    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if data is None:
            return ()
        out = []
        for key, codes in self.mapping(data, where).items():
            spec = fields.get(key)
            if spec is None or spec.type != "choice":
                self.fail(f"{where}.{key}", "应为本文书在此之前的选项字段")
                continue
            if not isinstance(codes, list) or not codes:
                self.fail(f"{where}.{key}", "应为选项代码的列表")
                continue
            bad = [c for c in codes if c not in dict(spec.options)]
            if bad:
                self.fail(f"{where}.{key}", f"「{'、'.join(map(str, bad))}」不是该字段的选项")
            out.append((key, tuple(str(c) for c in codes)))
        return tuple(out)

    def signatures(
        self, items: object, where: str, roles: dict[str, str], fields: dict[str, FieldSpec]
    ) -> tuple[SignatureSpec, ...]:
        if not isinstance(items, list):
            self.fail(where, "应为签名栏的列表")
            return ()
        out: list[SignatureSpec] = []
        for i, item in enumerate(items):
            data = self.mapping(item, f"{where}[{i}]")
            at = f"{where}[{i}]"
            for key in sorted(set(data) - _SIGNATURE_KEYS):
                self.fail(f"{at}.{key}", "未知的项目")
            role = data.get("role")
            if role not in roles:
                self.fail(f"{at}.role", f"「{role}」不是签名角色（见 roles）")
                continue
            if any(s.role == role for s in out):
                self.fail(f"{at}.role", f"签名角色「{role}」重复")
            box = data.get("field")
            if box is not None and box not in fields:
                self.fail(f"{at}.field", f"本文书没有字段「{box}」")
            minimum = data.get("minimum", 1)
            if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 1:
                self.fail(f"{at}.minimum", "应为不小于 1 的整数")
                minimum = 1
            out.append(
                SignatureSpec(
                    role=str(role),
                    label=self.text(data, "label", at) or roles[str(role)],
                    required=self.flag(data, "required", at, default=True)
                    and "required_when" not in data,
                    minimum=minimum,
                    field=box,
                    every_page=self.flag(data, "every_page", at),
                    refusal_needs_witness=self.flag(data, "refusal_needs_witness", at),
                    required_when=self.when(
                        data.get("required_when"), f"{at}.required_when", fields
                    ),
                    citation=self.text(data, "citation", at),
                    hint=self.text(data, "hint", at),
                )
            )
        return tuple(out)
