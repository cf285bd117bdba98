"""What a filled document says, line by line, before it is laid out as PDF or .docx.

Both renderers draw the same ``DocumentView``, so the printable PDF and the editable .docx
cannot drift apart: every field becomes a ``Row`` with its display text, every signature
box a ``SignatureLine`` (a name and time, a refusal with its reason and witness, or a blank
line to sign by hand).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from liuhen.documents import values as v
from liuhen.documents.model import (
    DocumentKind,
    FieldSpec,
    FilledDocument,
    Signature,
    SignatureSpec,
    condition_holds,
    is_blank,
    normalise_number,
)

SEAL_NOTE = "（印章）"
METHOD_NOTES = {"seal": "（盖章）", "fingerprint": "（捺印）"}


@dataclass(frozen=True, slots=True)
class SignatureLine:
    label: str
    text: str = ""  # "" = a blank line to be signed by hand
    refused: bool = False
    image: str = ""  # a handwritten signature (a PNG data: URI) drawn beside the name


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    label: str
    text: str
    long: bool = False
    signatures: tuple[SignatureLine, ...] = ()

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()] or (
            [""] if not self.text else []
        )


@dataclass(frozen=True, slots=True)
class DocumentView:
    code: str
    layout: str
    agency: str
    title: str
    number: str
    rows: tuple[Row, ...]
    signatures: tuple[SignatureLine, ...]
    page_signature: str = ""  # a label signed on every page (询问笔录)
    closing_agency: str = ""
    closing_date: str = ""
    sealed: bool = False
    edition: str = ""

    @property
    def head_rows(self) -> list[Row]:
        """Rows before the first long one (prose: the addressee block)."""
        out = []
        for row in self.rows:
            if row.long:
                break
            out.append(row)
        return out

    @property
    def body_rows(self) -> list[Row]:
        return list(self.rows[len(self.head_rows) :])

    @property
    def flow(self) -> list[tuple[str, list[Row]]]:
        """Rows in order, short ones packed into lines ("line") between long ones ("block")."""
        out: list[tuple[str, list[Row]]] = []
        line: list[Row] = []
        width = 0.0
        for row in self.rows:
            w = text_width(f"{row.label}：{row.text}") + 2
            if row.long or (line and width + w > LINE_WIDTH):
                if line:
                    out.append(("line", line))
                line, width = [], 0.0
            if row.long:
                out.append(("block", [row]))
            else:
                line.append(row)
                width += w
        if line:
            out.append(("line", line))
        return out

    @property
    def signature_groups(self) -> list[tuple[str, list[SignatureLine]]]:
        """Signature lines grouped by box, in order (several servers share one cell)."""
        groups: dict[str, list[SignatureLine]] = {}
        for line in self.signatures:
            groups.setdefault(line.label, []).append(line)
        return list(groups.items())


LINE_WIDTH = 34.0
"""Characters on one line of a 笔录 header at 12 pt on a 156 mm wide page, less some margin."""


def text_width(text: str) -> float:
    """Width in CJK characters: Latin letters and digits count as half."""
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in text)


def display(spec: FieldSpec, value: object, filled: FilledDocument) -> str:
    """The text a field's value is printed as ("" when blank)."""
    if is_blank(value):
        return ""
    if spec.type == "date":
        day = v.parse_date(value)
        return v.format_date(day) if day else str(value)
    if spec.type == "datetime":
        moment = v.parse_datetime(value)
        return v.format_datetime(moment) if moment else str(value)
    if spec.type == "money":
        return v.format_money(value)
    if spec.type == "choice":
        codes = value if isinstance(value, list | tuple) else [value]
        return "、".join(spec.option_label(str(c)) for c in codes)
    if spec.type == "flag":
        return "是" if value is True else "否"
    if spec.type == "officers":
        names = value if isinstance(value, list | tuple) else [str(value)]
        return "、".join(officer_text(str(n), filled) for n in names)
    return str(value).strip()


def officer_text(name: str, filled: FilledDocument) -> str:
    for o in filled.officers:
        if o.name == name and o.certificate_number:
            return f"{name}（执法证号：{o.certificate_number}）"
    return name


def certificates_text(shown: bool | None) -> str:
    if shown is None:
        return ""
    return "执法人员已出示执法证件" if shown else "执法人员未出示执法证件"


def signature_text(sig: Signature) -> str:
    if sig.refused:
        text = f"{sig.name}拒绝签名：{sig.refusal_reason.strip()}"
        return text + (f"（见证人：{sig.witness.strip()}）" if sig.witness.strip() else "")
    text = sig.name + METHOD_NOTES.get(sig.method, "")
    if sig.signed_at is not None:
        text += "　" + v.format_datetime(sig.signed_at)
    return text


def _data_uri(png: bytes | None) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii") if png else ""


def signature_lines(spec: SignatureSpec, filled: FilledDocument) -> tuple[SignatureLine, ...]:
    """The lines of one signature box: each recorded signature, then blanks up to the minimum."""
    got = [
        SignatureLine(spec.label, signature_text(s), s.refused, _data_uri(s.image))
        for s in filled.signatures_of(spec.role)
    ]
    needed = spec.required or condition_holds(spec.required_when, filled.values)
    blanks = max(0, (spec.minimum if needed else 0) - len(got))
    if not got and not needed:
        blanks = 1 if spec.field else 0  # an optional box on a form is still printed
    return tuple(got) + (SignatureLine(spec.label),) * blanks


def build_view(filled: FilledDocument, kind: DocumentKind, edition: str = "") -> DocumentView:
    """Lay the values of ``filled`` out as rows and signature lines for ``kind``."""
    prose = kind.layout == "prose"
    boxed = {s.field: signature_lines(s, filled) for s in kind.signatures if s.field}
    skip = {kind.date_field, "agency_name"} if prose else set()
    rows: list[Row] = []
    for spec in kind.fields:
        if spec.key in skip:
            continue
        value = filled.values.get(spec.key)
        text = display(spec, value, filled)
        merged = _merge_range(rows, spec, filled)
        if merged:
            continue
        if not text and not spec.required and (prose or spec.required_when):
            if not condition_holds(spec.required_when, filled.values):
                continue  # a blank optional item of a decision, or of another service mode
        rows.append(
            Row(spec.key, spec.label, text, spec.type == "multiline", boxed.get(spec.key, ()))
        )
        if spec.type == "officers" and kind.certificates:
            rows.append(
                Row(
                    "certificates_shown",
                    "出示执法证件",
                    certificates_text(filled.certificates_shown),
                )
            )
    block = tuple(
        line for s in kind.signatures if not s.field for line in signature_lines(s, filled)
    )
    every_page = next((s.label for s in kind.signatures if s.every_page), "")
    closing_agency = str(filled.values.get("agency_name") or filled.agency) if prose else ""
    closing_date = ""
    if prose and kind.date_field:
        closing_date = display(
            kind.field(kind.date_field), filled.values.get(kind.date_field), filled
        )
    return DocumentView(
        code=kind.code,
        layout=kind.layout,
        agency=filled.agency,
        title=kind.title,
        number=normalise_number(filled.number),
        rows=tuple(rows),
        signatures=block,
        page_signature=every_page,
        closing_agency=closing_agency,
        closing_date=closing_date,
        sealed=kind.sealed,
        edition=edition,
    )


def _merge_range(rows: list[Row], spec: FieldSpec, filled: FilledDocument) -> bool:
    """Join an end time to the start time just before it: "…9时10分至10时25分"."""
    if not spec.after or not rows or rows[-1].key != spec.after:
        return False
    start_value, end_value = filled.values.get(spec.after), filled.values.get(spec.key)
    if spec.type == "datetime":
        start, end = v.parse_datetime(start_value), v.parse_datetime(end_value)
        if start is None or end is None:
            return False
        text = v.format_range(start, end)
    else:
        day0, day1 = v.parse_date(start_value), v.parse_date(end_value)
        if day0 is None or day1 is None:
            return False
        text = f"{v.format_date(day0)}至{v.format_date(day1)}"
    label = spec.range_label or rows[-1].label
    rows[-1] = Row(spec.after, label, text)
    return True
