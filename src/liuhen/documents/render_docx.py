"""Render a filled document to an editable .docx (Word, WPS) with python-docx.

The content is the same ``DocumentView`` the PDF draws, as plain paragraphs and tables that
are easy to edit. Chinese text needs the East Asian font set on ``w:rFonts/@w:eastAsia``:
``run.font.name`` only sets the Latin slots, and Word/WPS would show the Chinese in the
default font (python-docx issues #154, #1139). Fonts are the ones users' Windows and WPS
machines have: 仿宋 body, 黑体 headings, 宋体 title; Latin text in Times New Roman.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import cast

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_PARAGRAPH_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from liuhen.documents.catalogue import default_catalogue
from liuhen.documents.content import DocumentView, SignatureLine, build_view
from liuhen.documents.model import DocumentKind, FilledDocument
from liuhen.documents.render_pdf import NUMERALS_LIST

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BLANK_SIGNATURE = "＿＿＿＿＿＿　　年　　月　　日"
SIGNATURE_MM = 12
"""Height of a handwritten signature's picture in the .docx."""

TableRow = tuple[str, list[str], bool, tuple[SignatureLine, ...]]
"""A row of a two-column table: label, lines of the value, long?, signatures in the cell."""


def set_fonts(
    run: Run, east_asia: str = BODY_FONT, size: float | None = None, bold: bool = False
) -> Run:
    """Give ``run`` an East Asian font (``w:eastAsia``) as well as the Latin ones."""
    run.font.name = LATIN_FONT
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    if size is not None:
        run.font.size = Pt(size)
    if bold:
        run.font.bold = True
    return run


def _style_normal(doc: DocxDocument, size: float) -> None:
    style = doc.styles["Normal"]
    style.font.name = LATIN_FONT
    style.font.size = Pt(size)
    r_pr = style.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    fmt = style.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.5 if size < 16 else Pt(28)


def _page(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(30), Mm(28)
    section.left_margin, section.right_margin = Mm(28), Mm(26)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and WPS update when the page count changes."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _footer(doc: DocxDocument, view: DocumentView) -> None:
    footer = doc.sections[0].footer
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if view.page_signature:
        set_fonts(p.add_run(f"{view.page_signature}签名：＿＿＿＿＿＿　　　　"), size=10.5)
    set_fonts(p.add_run("第 "), size=10.5)
    _field(p, "PAGE")
    set_fonts(p.add_run(" 页 共 "), size=10.5)
    _field(p, "NUMPAGES")
    set_fonts(p.add_run(" 页"), size=10.5)


def _para(
    container: DocxDocument | _Cell,
    text: str = "",
    *,
    font: str = BODY_FONT,
    size: float | None = None,
    bold: bool = False,
    align: WD_PARAGRAPH_ALIGNMENT | None = None,
    indent: bool = False,
) -> Paragraph:
    p = container.add_paragraph()
    if text:
        set_fonts(p.add_run(text), font, size, bold)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(2 * (size or 12))
    return p


def _labelled(
    container: DocxDocument | _Cell, label: str, text: str, size: float | None = None
) -> Paragraph:
    p = container.add_paragraph()
    set_fonts(p.add_run(f"{label}："), HEADING_FONT, size)
    set_fonts(p.add_run(text), BODY_FONT, size)
    return p


def _signature_text(line: SignatureLine) -> str:
    return line.text or BLANK_SIGNATURE


def _handwriting(paragraph: Paragraph, line: SignatureLine) -> None:
    """The handwritten signature taken on the screen, as a picture before the name (the
    PDF draws it at the same place); nothing for a line signed on paper."""
    prefix = "data:image/png;base64,"
    if not line.image.startswith(prefix):
        return
    try:
        png = base64.b64decode(line.image.removeprefix(prefix), validate=True)
    except (binascii.Error, ValueError):
        return
    paragraph.add_run().add_picture(io.BytesIO(png), height=Mm(SIGNATURE_MM))
    set_fonts(paragraph.add_run("　"))


def _header(doc: DocxDocument, view: DocumentView) -> None:
    if view.agency:
        _para(
            doc, view.agency, font=TITLE_FONT, size=18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER
        )
    _para(doc, view.title, font=TITLE_FONT, size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if view.number:
        centre = view.layout == "prose"
        _para(
            doc,
            view.number,
            size=16 if centre else 12,
            align=WD_ALIGN_PARAGRAPH.CENTER if centre else WD_ALIGN_PARAGRAPH.RIGHT,
        )
    _para(doc)


def _cell_text(cell: _Cell, lines: list[str]) -> None:
    first = cell.paragraphs[0]
    for i, line in enumerate(lines or [""]):
        p = first if i == 0 else cell.add_paragraph()
        if line:
            set_fonts(p.add_run(line))


def _table(doc: DocxDocument, rows: list[TableRow]) -> Table:
    table = doc.add_table(rows=0, cols=2)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, lines, long, signatures in rows:
        row = table.add_row()
        if long:
            row.height = Mm(16)  # at least: room to write an opinion by hand
        cells = row.cells
        cells[0].width, cells[1].width = Mm(42), Mm(114)
        cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_fonts(cells[0].paragraphs[0].add_run(label), HEADING_FONT)
        _cell_text(cells[1], lines)
        for s in signatures:
            p = cells[1].add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            set_fonts(p.add_run("签名："))
            _handwriting(p, s)
            set_fonts(p.add_run(_signature_text(s)))
    return cast(Table, table)


def _signature_block(
    doc: DocxDocument, lines: tuple[SignatureLine, ...], size: float | None = None
) -> None:
    if lines:
        _para(doc)
    for s in lines:
        p = doc.add_paragraph()
        set_fonts(p.add_run(f"{s.label}（签名）："), HEADING_FONT, size)
        _handwriting(p, s)
        set_fonts(p.add_run(_signature_text(s)), BODY_FONT, size)


def _form(doc: DocxDocument, view: DocumentView) -> None:
    _table(doc, [(r.label, r.lines, r.long, r.signatures) for r in view.rows])
    _signature_block(doc, view.signatures)


def _record(doc: DocxDocument, view: DocumentView) -> None:
    for part, rows in view.flow:
        if part == "line":
            p = doc.add_paragraph()
            for i, row in enumerate(rows):
                set_fonts(p.add_run(("　　" if i else "") + f"{row.label}："), HEADING_FONT)
                set_fonts(p.add_run(row.text))
            continue
        row = rows[0]
        _para(doc, f"{row.label}：", font=HEADING_FONT)
        qa = view.layout == "qa" and row.key == "qa"
        for line in row.lines:
            font = HEADING_FONT if qa and line.startswith("问") else BODY_FONT
            _para(doc, line, font=font, indent=not qa)
    _signature_block(doc, view.signatures)


def _prose(doc: DocxDocument, view: DocumentView) -> None:
    for row in view.head_rows:
        _labelled(doc, row.label, row.text, 16)
    numbered = 0
    for row in view.body_rows:
        if row.long:
            numbered += 1
            heading = f"{NUMERALS_LIST[numbered - 1]}、{row.label}"
            _para(doc, heading, font=HEADING_FONT, size=16, indent=True)
            for line in row.lines:
                _para(doc, line, size=16, indent=True)
        else:
            p = _labelled(doc, row.label, row.text, 16)
            p.paragraph_format.first_line_indent = Pt(32)
    _para(doc)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    _para(doc, view.closing_agency, size=16, align=right)
    _para(doc, view.closing_date or "　　年　　月　　日", size=16, align=right)
    if view.sealed:
        _para(doc, "（印章）", size=12, align=right)
    _signature_block(doc, view.signatures, 14)


def _receipt(doc: DocxDocument, view: DocumentView) -> None:
    rows: list[TableRow] = [(r.label, r.lines, False, ()) for r in view.rows]
    rows += [(label, [], False, ()) for label, _ in view.signature_groups]
    table = _table(doc, rows)
    for (_, lines), row in zip(view.signature_groups, table.rows[len(view.rows) :], strict=True):
        cell = row.cells[1]
        for i, s in enumerate(lines):
            p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            _handwriting(p, s)
            set_fonts(p.add_run(_signature_text(s)))
    _para(
        doc,
        "说明：受送达人在本回证上签名或者盖章，签收日期为送达日期。受送达人拒绝签收的，送达人应当"
        "记明拒收事由和日期，由送达人、见证人签名或者盖章，把文书留在受送达人的住所，也可以采用"
        "拍照、录像等方式记录送达过程（民事诉讼法第八十七条、第八十九条）。",
        size=9,
    )


_LAYOUTS = {"form": _form, "record": _record, "qa": _record, "prose": _prose, "receipt": _receipt}


def render_docx(filled: FilledDocument, kind: DocumentKind | None = None) -> bytes:
    """The document as an editable A4 .docx with East Asian fonts set on every run."""
    catalogue = default_catalogue()
    kind = kind or catalogue.get(filled.kind)
    view = build_view(filled, kind, edition=catalogue.edition)
    doc = Document()
    _style_normal(doc, 16 if view.layout == "prose" else 12)
    _page(doc)
    props = doc.core_properties
    props.title = f"{view.title} {view.number}".strip()
    props.author = view.agency
    props.subject = view.code
    props.keywords = view.edition
    _header(doc, view)
    _LAYOUTS[view.layout](doc, view)
    _footer(doc, view)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
