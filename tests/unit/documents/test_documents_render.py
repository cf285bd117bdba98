"""Every kind, rendered from its sample, shows its Chinese text: the PDF's extracted text and
the reopened .docx hold the title, the number and every filled value; PDF fonts are
embedded Noto CJK (no fallback font, so no missing glyphs); .docx runs carry w:eastAsia."""

from __future__ import annotations

import dataclasses
import io
import re
from functools import cache

import pytest
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from liuhen.demo.documents import sample_document, sample_kinds
from liuhen.documents import DocumentKind, FilledDocument, default_catalogue
from liuhen.documents.model import is_blank, normalise_number
from liuhen.documents.render_docx import render_docx
from liuhen.documents.render_pdf import render_html, render_pdf
from liuhen.documents.values import (
    format_date,
    format_datetime,
    format_money,
    format_time,
    parse_date,
    parse_datetime,
)

CATALOGUE = default_catalogue()
CODES = sample_kinds()
PAGE_FOOTER = re.compile(r"第\d+页共\d+页|被询问人签名：")


def squash(text: str) -> str:
    return "".join(text.split())


def expected_texts(doc: FilledDocument, kind: DocumentKind) -> list[str]:
    """What a reader must find on the document, computed from the values, not the renderer."""
    out = [kind.title, normalise_number(doc.number), doc.agency]
    values = doc.values
    for f in kind.fields:
        value = values.get(f.key)
        if is_blank(value):
            continue
        if f.type in ("text", "multiline", "person"):
            out.append(str(value))
        elif f.type == "date":
            day = parse_date(value)
            assert day is not None
            out.append(format_date(day))
        elif f.type == "datetime":
            moment = parse_datetime(value)
            start = parse_datetime(values.get(f.after)) if f.after else None
            assert moment is not None
            same_day = start is not None and start.date() == moment.date()
            out.append(format_time(moment) if same_day else format_datetime(moment))
        elif f.type == "money":
            out.append(format_money(value))
        elif f.type == "choice":
            codes = value if isinstance(value, list) else [value]
            out += [f.option_label(str(c)) for c in codes]
        elif f.type == "flag":
            out.append(f"{f.label}：{'是' if value else '否'}")
        elif f.type == "officers":
            by_name = {o.name: o.certificate_number for o in doc.officers}
            assert isinstance(value, list)
            out += [f"{name}（执法证号：{by_name[name]}）" for name in value]
    for s in doc.signatures:
        out.append(s.name)
        if s.refused:
            out += ["拒绝签名：", s.refusal_reason, s.witness]
        elif s.signed_at is not None:
            out.append(format_datetime(s.signed_at))
    return [squash(t) for t in out if t]


@cache
def pdf_of(code: str) -> bytes:
    return render_pdf(sample_document(code), CATALOGUE.get(code))


def pdf_text(pdf: bytes) -> tuple[str, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    pages = [squash(page.extract_text()) for page in reader.pages]
    return PAGE_FOOTER.sub("", "".join(pages)), pages


def pdf_fonts(pdf: bytes) -> list[tuple[str, list[str]]]:
    """(font name, FontFile keys of its descriptor) for every font on every page."""
    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts") or [font]
            for d in descendants:
                descriptor = d.get_object()["/FontDescriptor"].get_object()
                files = [k for k in descriptor if str(k).startswith("/FontFile")]
                out.append((str(font["/BaseFont"]), files))
    return out


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [t.text or "" for t in doc.element.body.iter(qn("w:t"))]
    for section in doc.sections:
        parts += [t.text or "" for t in section.footer._element.iter(qn("w:t"))]
    return squash("".join(parts))


@pytest.mark.parametrize("code", CODES)
def test_pdf_shows_title_number_and_every_value_in_embedded_cjk_fonts(code: str) -> None:
    doc, kind = sample_document(code), CATALOGUE.get(code)
    pdf = pdf_of(code)
    assert pdf.startswith(b"%PDF-")
    text, pages = pdf_text(pdf)
    missing = [t for t in expected_texts(doc, kind) if t not in text]
    assert not missing, missing
    for i, page in enumerate(pages, 1):
        assert f"第{i}页共{len(pages)}页" in page
    fonts = pdf_fonts(pdf)
    assert fonts
    for name, files in fonts:
        assert files, f"{name} is not embedded"
        assert "Noto-Serif-CJK-SC" in name or "Noto-Sans-CJK-SC" in name, name


@pytest.mark.parametrize("code", CODES)
def test_docx_reopens_with_every_value_and_east_asian_fonts(code: str) -> None:
    doc, kind = sample_document(code), CATALOGUE.get(code)
    data = render_docx(doc, kind)
    text = docx_text(data)
    missing = [t for t in expected_texts(doc, kind) if t not in text]
    assert not missing, missing
    reopened = Document(io.BytesIO(data))
    section = reopened.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    normal = reopened.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    for run in reopened.element.body.iter(qn("w:r")):
        if run.find(qn("w:t")) is not None:
            fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
            assert fonts.get(qn("w:eastAsia")), "a run without an East Asian font"
    assert "第1页共" in text  # the footer's page number fields
    assert reopened.core_properties.subject == code


def test_the_pdf_is_a4_and_carries_the_title_as_metadata() -> None:
    reader = PdfReader(io.BytesIO(pdf_of("penalty_decision")))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert reader.metadata is not None
    assert reader.metadata.title == "行政处罚决定书 示镇综执罚〔2026〕12号"


def test_a_refusal_is_printed_with_its_reason_and_witness() -> None:
    text, _ = pdf_text(pdf_of("service_receipt"))
    assert (
        squash("李建华拒绝签名：称“不服处罚”，拒绝签收（见证人：周桂兰（新华街社区居委会委员））")
        in text
    )
    assert "留置送达" in text


def test_inquiry_record_has_a_signature_line_on_every_page_and_the_qa_in_order() -> None:
    pdf = pdf_of("inquiry_record")
    pages = [squash(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 2
    assert all("被询问人签名：" in p for p in pages)
    text, _ = pdf_text(pdf)
    assert text.index("问：你从什么时候开始在那里摆摊？") < text.index("答：3月2日开始的")
    assert "询问时间：2026年3月6日9时10分至10时25分" in text


def test_decision_closes_with_agency_date_and_seal_place() -> None:
    text, _ = pdf_text(pdf_of("penalty_decision"))
    assert text.endswith("示范镇人民政府2026年3月18日（印章）")
    assert "罚款金额：人民币伍佰元整（¥500.00）" in text


@pytest.mark.parametrize("layout", ["form", "record", "qa", "prose", "receipt"])
def test_a_blank_form_of_each_layout_renders_with_lines_to_sign_by_hand(layout: str) -> None:
    kind = next(k for k in CATALOGUE if k.layout == layout)
    blank = FilledDocument(kind.code, agency="示范镇人民政府")
    html = render_html(blank, kind)
    assert kind.title in html
    if any(s.required for s in kind.signatures):
        assert 'class="blank"' in html
    assert squash(kind.title) in squash(docx_text(render_docx(blank, kind)))


def test_text_is_escaped_not_interpreted_as_markup() -> None:
    doc = sample_document("reminder")
    doc = dataclasses.replace(doc, values={**doc.values, "method": "<b>现金</b> & 转账"})
    html = render_html(doc)
    assert "&lt;b&gt;现金&lt;/b&gt; &amp; 转账" in html


def test_signature_methods_are_noted() -> None:
    text, _ = pdf_text(pdf_of("inquiry_record"))
    assert "李建华（捺印）" in text
