"""A party's copy with text removed (遮盖): the document drawn again from its own data with
the marked words replaced, never a box laid over live text, and a last page listing the marks.

A document LiuHen made is rendered from a ``DocumentView``; its printed text is the rows'
texts and the signature lines' texts, one ``Segment`` each (``segments``). ``redacted_view``
swaps the covered words for ``■■■■〔n〕`` (``domain/redaction.py``), and the copy is rendered
from that view, so the words are not in the file at all: not in the text layer, not under a
box, not in the metadata. A plain-text record is set again from its redacted text
(``watermark.text_to_pdf``). ``reasons_page`` lists each mark: its number, what it covered
(the kind, not the words), the legal ground, the reason and who confirmed it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape
from io import BytesIO
from typing import Any

from liuhen.documents.catalogue import get_kind
from liuhen.documents.content import DocumentView, Row, SignatureLine
from liuhen.documents.model import FilledDocument, OfficerPresent, Signature
from liuhen.documents.values import parse_datetime
from liuhen.domain.redaction import Mark, Segment, ordered, redact

TEXT_SEGMENT = "text"
"""The one segment of a plain-text record."""


def segments(view: DocumentView) -> list[Segment]:
    """The printed text of ``view``, in reading order: each row (``field.KEY``), the
    signature lines inside a row (``field.KEY.sign.N``) and the closing ones (``sign.N``)."""
    out: list[Segment] = []
    for row in view.rows:
        out.append(Segment(f"field.{row.key}", row.label, row.text))
        for n, line in enumerate(row.signatures, start=1):
            if line.text:
                out.append(Segment(f"field.{row.key}.sign.{n}", f"{line.label}签名", line.text))
    for n, line in enumerate(view.signatures, start=1):
        if line.text:
            out.append(Segment(f"sign.{n}", f"{line.label}签名", line.text))
    return out


def redacted_view(view: DocumentView, marks: Sequence[Mark]) -> DocumentView:
    """``view`` with every marked span replaced; the marks must fit ``segments(view)``."""
    changed = redact(segments(view), marks)

    def line(key: str, s: SignatureLine) -> SignatureLine:
        return replace(s, text=changed[key]) if key in changed else s

    rows = []
    for row in view.rows:
        key = f"field.{row.key}"
        sigs = tuple(line(f"{key}.sign.{n}", s) for n, s in enumerate(row.signatures, start=1))
        rows.append(Row(row.key, row.label, changed.get(key, row.text), row.long, sigs))
    closing = tuple(line(f"sign.{n}", s) for n, s in enumerate(view.signatures, start=1))
    return replace(view, rows=tuple(rows), signatures=closing)


@dataclass(frozen=True, slots=True)
class Confirmed:
    """Who confirmed a mark set, and when (local time, as printed)."""

    by: str
    at: str


_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>遮盖说明</title><style>
@page {{ size: A4; margin: 25mm 22mm 28mm; }}
body {{ font-family: "Noto Serif CJK SC", serif; font-size: 11pt; line-height: 1.6; }}
h1 {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 15pt; text-align: center;
  margin: 0 0 10pt; }}
p {{ margin: 0 0 8pt; }}
table {{ width: 100%; border-collapse: collapse; margin-top: 6pt; }}
th, td {{ border: 0.6pt solid #333; padding: 4pt 5pt; vertical-align: top; text-align: left; }}
th {{ font-family: "Noto Sans CJK SC", sans-serif; font-weight: normal; background: #eee; }}
td.n {{ white-space: nowrap; }}
col.n {{ width: 8%; }} col.w {{ width: 14%; }} col.g {{ width: 13%; }} col.by {{ width: 16%; }}
</style></head><body>
<h1>遮盖说明</h1>
<p>本复制件中“■■■■〔编号〕”处的内容已依法不予提供，相应文字已从复制件中删除。
原件未作任何改动。依据：{citations}。</p>
<p>文书：{title}</p>
<table><colgroup><col class="n"><col class="w"><col class="w"><col class="g"><col>
<col class="by"></colgroup><thead><tr><th>编号</th><th>位置</th><th>内容类别</th><th>法定理由</th><th>具体理由</th>
<th>确认人</th></tr></thead><tbody>{rows}</tbody></table>
<p style="margin-top:10pt">遮盖共 {count} 处，由 {by} 于 {at} 审查确认。</p>
</body></html>"""


def reasons_page(
    title: str,
    text_segments: Sequence[Segment],
    marks: Sequence[Mark],
    confirmed: Confirmed,
    citations: str = "002§34、004§38",
) -> bytes:
    """One A4 page (more if the marks are many) listing every mark in the copy's numbering."""
    import weasyprint  # type: ignore[import-untyped]

    labels = {s.key: s.label for s in text_segments}
    rows = "".join(
        f"<tr><td class='n'>〔{n}〕</td><td>{escape(labels.get(m.segment, m.segment))}</td>"
        f"<td>{escape(m.kind_name)}</td><td>{escape(m.ground_name)}</td>"
        f"<td>{escape(m.reason)}</td><td>{escape(confirmed.by)}</td></tr>"
        for n, m in enumerate(ordered(text_segments, marks), start=1)
    )
    html = _PAGE.format(
        citations=escape(citations),
        title=escape(title),
        rows=rows,
        count=len(marks),
        by=escape(confirmed.by),
        at=escape(confirmed.at),
    )
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def append_pages(pdf: bytes, more: bytes) -> bytes:
    """``pdf`` followed by the pages of ``more`` (neither input changed)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for source in (pdf, more):
        for page in PdfReader(BytesIO(source)).pages:
            writer.add_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def filled_from_details(
    kind: str,
    details: Mapping[str, Any],
    agency: str,
    officers: Mapping[str, tuple[str, str]],
    images: Mapping[str, bytes] | None = None,
) -> FilledDocument:
    """The filled document a text record was made from (``services/cases/documents.py``
    ``record_details`` stores it so): its fields, officers (id -> name, 执法证号),
    signatures and refusals, in the order of the kind's signature boxes. ``images``: the
    handwritten signatures' PNGs by SHA-256 (``image_sha256``), drawn at their places."""
    signatures = [
        Signature(
            s.get("role", "officer"),
            s.get("name", ""),
            parse_datetime(s.get("signed_at")),
            method=s.get("method", "signature"),
            image=(images or {}).get(str(s.get("image_sha256", ""))),
        )
        for s in details.get("signatures", [])
    ] + [
        Signature(
            r.get("role", "party"),
            r.get("name", ""),
            refused=True,
            refusal_reason=r.get("reason", ""),
            witness=r.get("witness", ""),
        )
        for r in details.get("refusals", [])
    ]
    boxes = [box.role for box in get_kind(kind).signatures]
    signatures.sort(key=lambda s: boxes.index(s.role) if s.role in boxes else len(boxes))
    return FilledDocument(
        kind,
        str(details.get("number", "")),
        agency,
        dict(details.get("fields") or {}),
        signatures=tuple(signatures),
        officers=tuple(
            OfficerPresent(*officers[o]) for o in details.get("officer_ids", []) if o in officers
        ),
        certificates_shown=details.get("certificates_shown"),
        sealed=bool(details.get("sealed", False)),
    )
