"""Document kinds, filled documents, and the checks a form runs before it is saved.

A ``DocumentKind`` (from ``catalogue.yaml``) says which fields and signature boxes a kind of
执法文书 has; a ``FilledDocument`` holds what an officer entered. ``validate`` lists every
problem as ``"field_key: 中文说明"`` so that a web form can show each message beside its
field; an empty list means the document may be saved and rendered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from liuhen.documents import values as v

FIELD_TYPES: dict[str, str] = {
    "text": "单行文字",
    "multiline": "多行文字",
    "date": "日期",
    "datetime": "日期和时间",
    "money": "金额（元）",
    "person": "人员姓名",
    "officers": "执法人员（姓名及执法证号）",
    "choice": "选项",
    "flag": "是/否",
}

LAYOUTS = ("form", "record", "qa", "prose", "receipt")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One item of a document kind: a key the bundle stores, the label people read."""

    key: str
    label: str
    type: str
    required: bool = False
    hint: str = ""
    citation: str = ""
    default: str = ""
    options: tuple[tuple[str, str], ...] = ()
    multiple: bool = False
    after: str | None = None
    range_label: str = ""
    required_when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def option_label(self, code: str) -> str:
        return dict(self.options).get(code, code)


@dataclass(frozen=True, slots=True)
class SignatureSpec:
    """A signature box: who signs (a role code), how it is printed, and when it is needed."""

    role: str
    label: str
    required: bool = True
    minimum: int = 1
    field: str | None = None
    every_page: bool = False
    refusal_needs_witness: bool = False
    required_when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    citation: str = ""
    hint: str = ""


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """A kind of 执法文书: its fields, signature boxes and how it is laid out and served."""

    code: str
    title: str
    stage: str
    layout: str
    fields: tuple[FieldSpec, ...]
    signatures: tuple[SignatureSpec, ...] = ()
    served: bool = False
    receipt: bool = False
    sealed: bool = False
    numbered: bool = False
    number_code: str = ""
    certificates: bool = False
    min_officers: int = 0
    date_field: str | None = None
    citation: str = ""

    def field(self, key: str) -> FieldSpec:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def has_field(self, key: str) -> bool:
        return any(f.key == key for f in self.fields)

    @property
    def required_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.required)


@dataclass(frozen=True, slots=True)
class OfficerPresent:
    """An officer present at the act, with the 执法证号 printed beside the name (002§11)."""

    name: str
    certificate_number: str = ""


@dataclass(frozen=True, slots=True)
class Signature:
    """A signature (or seal, or fingerprint) in one box, or a refusal with its reason."""

    role: str
    name: str
    signed_at: datetime | None = None
    refused: bool = False
    refusal_reason: str = ""
    witness: str = ""
    method: str = "signature"  # signature | seal | fingerprint (vocab.SIGNATURE_METHODS)
    image: bytes | None = None  # a handwritten signature taken on the screen (PNG)


@dataclass(frozen=True)
class FilledDocument:
    """A document as filled in: the kind's code, its number, the agency and the values."""

    kind: str
    number: str = ""
    agency: str = ""
    values: Mapping[str, object] = field(default_factory=dict)
    signatures: tuple[Signature, ...] = ()
    officers: tuple[OfficerPresent, ...] = ()
    certificates_shown: bool | None = None
    sealed: bool = False

    def value(self, key: str) -> object:
        return self.values.get(key)

    def signatures_of(self, role: str) -> list[Signature]:
        return [s for s in self.signatures if s.role == role]


def is_blank(value: object) -> bool:
    """True for a value a form would show as empty (None, "", [], whitespace)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset):
        return not value
    return False


def condition_holds(
    when: tuple[tuple[str, tuple[str, ...]], ...], values: Mapping[str, object]
) -> bool:
    """True when any ``(field, codes)`` pair matches (an empty condition never holds)."""
    return any(str(values.get(key)) in codes for key, codes in when)


_NUMBER = re.compile(r"^\S.*?〔(\d{4})〕\s*第?\s*(\d+)\s*号$")


def normalise_number(number: str) -> str:
    """A document number with its year in 〔〕 (GB/T 9704 §7.2.5), whatever brackets were typed."""
    text = number.strip()
    for left, right in (("[", "]"), ("【", "】"), ("(", ")"), ("（", "）"), ("［", "］")):
        text = re.sub(re.escape(left) + r"\s*(\d{4})\s*" + re.escape(right), r"〔\1〕", text)
    return text


# ─────────────────────────────── validation ───────────────────────────────


def validate_against(
    filled: FilledDocument, kind: DocumentKind, *, signing_on_screen: bool = False
) -> list[str]:
    """Every problem of ``filled`` against its ``kind`` as ``"key: 中文说明"``; ``[]`` when it
    may be saved (``catalogue.validate`` finds the kind in the catalogue first).
    ``signing_on_screen``: the boxes still empty are signed on the screen once it is saved
    (``services/cases/signing.py``), so an empty box is not a problem yet.

    Keys are field keys, or ``number``, ``officers``, ``certificates_shown``,
    ``signature.<role>`` and ``kind`` for the parts of a document that are not fields.
    """
    if kind.code != filled.kind:
        return [f"kind: 文书种类「{filled.kind}」与所用格式「{kind.code}」不一致"]
    problems: list[str] = []
    problems += _check_number(filled, kind)
    problems += _check_fields(filled, kind)
    problems += _check_officers(filled, kind)
    problems += _check_signatures(filled, kind, signing_on_screen)
    return problems


def _check_number(filled: FilledDocument, kind: DocumentKind) -> list[str]:
    if not filled.number.strip():
        return []  # a numbered kind's number is allocated when it is saved
    if not _NUMBER.match(normalise_number(filled.number)):
        return [
            "number: 文书编号应为“机关代字〔年份〕序号号”的形式，"
            f"如 示镇综执{kind.number_code or '罚'}〔2026〕12号"
        ]
    return []


def _check_fields(filled: FilledDocument, kind: DocumentKind) -> list[str]:
    problems = [f"{key}: 本文书没有这一项" for key in filled.values if not kind.has_field(key)]
    parsed: dict[str, datetime | date] = {}
    for spec in kind.fields:
        value = filled.values.get(spec.key)
        if is_blank(value):
            if spec.required or condition_holds(spec.required_when, filled.values):
                where = f"（{spec.citation}）" if spec.citation else ""
                problems.append(f"{spec.key}: 请填写「{spec.label}」{where}")
            continue
        problem = _check_value(spec, value, parsed)
        if problem:
            problems.append(f"{spec.key}: {problem}")
    for spec in kind.fields:
        if spec.after and spec.key in parsed and spec.after in parsed:
            start, end = parsed[spec.after], parsed[spec.key]
            if _comparable(end) < _comparable(start):
                first = kind.field(spec.after).label
                problems.append(f"{spec.key}: 「{spec.label}」早于「{first}」，请核对起止时间")
    return problems


def _comparable(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return v.local(value)
    return datetime.combine(value, datetime.min.time(), v.TZ)


def _check_value(spec: FieldSpec, value: object, parsed: dict[str, datetime | date]) -> str:
    label = f"「{spec.label}」"
    if spec.type == "date":
        day = v.parse_date(value)
        if day is None:
            return f"{label}不是有效的日期，请按 2026-03-05 的格式填写"
        parsed[spec.key] = day
    elif spec.type == "datetime":
        moment = v.parse_datetime(value)
        if moment is None:
            return f"{label}不是有效的日期和时间，请按 2026-03-05 09:30 的格式填写"
        parsed[spec.key] = moment
    elif spec.type == "money":
        return _money_problem(label, value)
    elif spec.type == "choice":
        codes = value if isinstance(value, list | tuple) else [value]
        if isinstance(value, list | tuple) and not spec.multiple:
            return f"{label}只能选择一项"
        allowed = dict(spec.options)
        bad = [str(c) for c in codes if c not in allowed]
        if bad:
            return f"{label}的取值「{'、'.join(bad)}」不在可选项（{'、'.join(allowed.values())}）中"
    elif spec.type == "flag":
        if not isinstance(value, bool):
            return f"{label}应为“是”或“否”"
    elif spec.type == "officers":
        if not isinstance(value, list | tuple) or not all(isinstance(n, str) for n in value):
            return f"{label}应为执法人员姓名的列表"
    elif not isinstance(value, str):
        return f"{label}应为文字"
    return ""


def _money_problem(label: str, value: object) -> str:
    if isinstance(value, bool):
        return f"{label}应为金额数字（如 5000 或 5000.00）"
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return f"{label}应为金额数字（如 5000 或 5000.00），不是“{value}”"
    if not amount.is_finite():
        return f"{label}应为金额数字（如 5000 或 5000.00）"
    if amount < 0:
        return f"{label}不能为负数"
    if amount != amount.quantize(Decimal("0.01")):
        return f"{label}最多精确到分（两位小数）"
    if amount >= Decimal("1000000000000"):
        return f"{label}数额过大，请核对"
    return ""


def _check_officers(filled: FilledDocument, kind: DocumentKind) -> list[str]:
    problems: list[str] = []
    present = {o.name for o in filled.officers}
    if len(filled.officers) < kind.min_officers:
        problems.append(
            f"officers: 执法人员不得少于{kind.min_officers}人（行政处罚法§42），"
            f"现仅记录{len(filled.officers)}人"
        )
    for o in filled.officers:
        if not o.certificate_number.strip():
            problems.append(f"officers: 执法人员{o.name}未填写执法证号（002§11）")
    for spec in kind.fields:
        names = filled.values.get(spec.key)
        if spec.type == "officers" and isinstance(names, list | tuple):
            for name in names:
                if name not in present:
                    problems.append(
                        f"{spec.key}: 「{spec.label}」中的{name}不在本文书记载的执法人员名单中"
                    )
    if kind.certificates and filled.certificates_shown is None:
        problems.append("certificates_shown: 请记录执法人员是否出示了执法证件（行政处罚法§55）")
    return problems


def _check_signatures(filled: FilledDocument, kind: DocumentKind, later: bool) -> list[str]:
    problems: list[str] = []
    specs = {s.role: s for s in kind.signatures}
    officers = {o.name for o in filled.officers}
    for sig in filled.signatures:
        key = f"signature.{sig.role}"
        spec = specs.get(sig.role)
        if spec is None:
            problems.append(f"{key}: 本文书没有「{sig.role}」签名栏")
            continue
        if not sig.name.strip():
            problems.append(f"{key}: 「{spec.label}」签名栏缺少签名人姓名")
        if sig.refused:
            if not sig.refusal_reason.strip():
                problems.append(f"{key}: {sig.name}拒绝签名，但未写明拒签事由")
            if spec.refusal_needs_witness and not sig.witness.strip():
                problems.append(f"{key}: {sig.name}拒绝签收，应由见证人到场并签名（民事诉讼法§89）")
        elif sig.role == "officer" and filled.officers and sig.name not in officers:
            problems.append(f"{key}: {sig.name}不是本文书记载的执法人员")
    for spec in kind.signatures:
        needed = spec.required or condition_holds(spec.required_when, filled.values)
        got = filled.signatures_of(spec.role)
        if not needed or later:
            continue
        if not got:
            where = f"（{spec.citation}）" if spec.citation else ""
            problems.append(f"signature.{spec.role}: 缺少「{spec.label}」的签名或拒签记录{where}")
        elif len(got) < spec.minimum:
            problems.append(
                f"signature.{spec.role}: 「{spec.label}」应有{spec.minimum}人签名，现有{len(got)}人"
            )
    return problems
