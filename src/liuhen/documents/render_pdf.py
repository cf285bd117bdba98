"""Render a filled document to PDF: Jinja2 HTML, laid out and fonts embedded by WeasyPrint.

One A4 template (``templates/document.html``) draws every kind; the catalogue's ``layout``
picks the form: a bordered table (审批表, 清单), a 笔录 with its header lines, the Q&A body
of a 询问笔录, the prose of a 决定书/通知书 closing with the agency, date and seal place,
or the 送达回证 table. Fonts: Noto Serif/Sans CJK SC stand in for 仿宋/小标宋/黑体 (see
``document.css``); WeasyPrint embeds the subset of glyphs used, so the PDF reads the same
on any machine.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from liuhen.documents.catalogue import default_catalogue
from liuhen.documents.content import DocumentView, build_view
from liuhen.documents.model import DocumentKind, FilledDocument

NUMERALS = "一二三四五六七八九十"
NUMERALS_LIST = [*NUMERALS, *(f"十{c}" for c in NUMERALS[:-1]), "二十"]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("liuhen.documents", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


@cache
def _css() -> str:
    return resources.files("liuhen.documents").joinpath("templates/document.css").read_text("utf-8")


def render_html(filled: FilledDocument, kind: DocumentKind | None = None) -> str:
    """The HTML the PDF is made from (useful for a browser preview)."""
    return view_html(document_view(filled, kind))


def document_view(filled: FilledDocument, kind: DocumentKind | None = None) -> DocumentView:
    """What the PDF draws, row by row (``documents/redaction.py`` changes it for a copy)."""
    catalogue = default_catalogue()
    return build_view(filled, kind or catalogue.get(filled.kind), edition=catalogue.edition)


def view_html(view: DocumentView) -> str:
    template = _environment().get_template("document.html")
    return template.render(v=view, css=_css(), numerals=NUMERALS_LIST)


def render_pdf(filled: FilledDocument, kind: DocumentKind | None = None) -> bytes:
    """The document as an A4 PDF with embedded CJK fonts and "第 X 页 共 Y 页" page numbers."""
    return render_view(document_view(filled, kind))


def render_view(view: DocumentView) -> bytes:
    """``view`` as the PDF ``render_pdf`` makes (a redacted copy is drawn from its view)."""
    pdf: bytes = lay_out_view(view).write_pdf()
    return pdf


def lay_out_view(view: DocumentView) -> Any:
    """``view`` laid out, not yet written: a WeasyPrint document, for a caller that writes
    it with others in one PDF (the case file: ``archive.pages.write_together``)."""
    import weasyprint  # type: ignore[import-untyped]  # on first use: ~0.5 s a process

    return weasyprint.HTML(string=view_html(view)).render()
