"""An OFD rendition (GB/T 33190-2016, 版式文档) of a PDF that LiuHen made, for the archive.

No maintained Python library writes OFD without PyMuPDF (AGPL, which LiuHen does not use;
easyofd and pdf2ofd both need it), so this module writes the OFD package itself: a ZIP with

    OFD.xml                          the entry: DocInfo (title, author, dates) and DocRoot
    Doc_0/Document.xml               CommonData (page area, MaxUnitID, PublicRes) and Pages
    Doc_0/PublicRes.xml              the fonts the text uses, referenced by name
    Doc_0/Pages/Page_N/Content.xml   one layer per page of TextObjects

Each TextObject is one run of text as the PDF draws it, placed where the PDF places it
(millimetres from the top left, baseline ``Y``), in the PDF's font size; fonts are referenced
by the PDF font's name with the common Chinese family (宋体, 黑体, 楷体, 仿宋) for a reader
that lacks it, and are not embedded (the PDF/A beside it embeds them). The rendition carries
the text layout only: lines, images and the seal's appearance are in the PDF, and the seal's
signature is verified on the PDF. ``ofd_pages`` reads the text of each page back
(``verify_renditions`` compares it with the PDF's).
"""

from __future__ import annotations

import io
import math
import unicodedata
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pypdf import PdfReader

NS = "http://www.ofdspec.org/2016"
MM_PER_PT = 25.4 / 72
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Every entry's time in the ZIP, so the same document gives the same bytes."""
_FAMILIES = (("kai", "楷体"), ("fang", "仿宋"), ("sans", "黑体"), ("hei", "黑体"))


@dataclass(frozen=True)
class OfdInfo:
    title: str
    author: str
    subject: str
    created: datetime


@dataclass(frozen=True)
class Run:
    """A run of text: ``x``, ``y`` (baseline) and ``size`` in millimetres from the top left."""

    text: str
    x: float
    y: float
    size: float
    font: str


@dataclass
class PageLayout:
    width: float
    height: float
    runs: list[Run] = field(default_factory=list)

    def text(self) -> str:
        return "".join(r.text for r in self.runs)


def text_layout(pdf: bytes) -> list[PageLayout]:
    """Each page of ``pdf`` with its text runs where the PDF draws them."""
    reader = PdfReader(io.BytesIO(pdf))
    return [_page_layout(page) for page in reader.pages]


def _page_layout(page: Any) -> PageLayout:
    box = page.mediabox
    left, top = float(box.left), float(box.top)
    layout = PageLayout(float(box.width) * MM_PER_PT, float(box.height) * MM_PER_PT)

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float) -> None:
        text = "".join(ch for ch in text if ch.isprintable()).strip()
        if not text:
            return
        a, b, c, d, e, f = _multiply(tm, cm)
        scale = math.hypot(c, d) or math.hypot(a, b) or 1.0
        name = str(font.get("/BaseFont", "")).lstrip("/") if font is not None else ""
        name = name.split("+", 1)[1] if len(name) > 7 and name[6] == "+" else name
        layout.runs.append(
            Run(
                text,
                round((e - left) * MM_PER_PT, 3),
                round((top - f) * MM_PER_PT, 3),
                round(float(size) * scale * MM_PER_PT, 3),
                name or "SimSun",
            )
        )

    page.extract_text(visitor_text=visit)
    return layout


def _multiply(m: Sequence[float], n: Sequence[float]) -> tuple[float, ...]:
    """``m`` × ``n`` for PDF matrices ``[a b c d e f]``."""
    a, b, c, d, e, f = (float(v) for v in m)
    p, q, r, s, t, u = (float(v) for v in n)
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def family(font: str) -> str:
    """The common Chinese family a reader without ``font`` substitutes."""
    lowered = font.lower()
    return next((name for mark, name in _FAMILIES if mark in lowered), "宋体")


def advance(text: str, size: float) -> float:
    """An estimate of the width of ``text`` (wide characters one em, others half)."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size / 2 for ch in text)


def pdf_to_ofd(pdf: bytes, info: OfdInfo) -> bytes:
    """The OFD rendition of ``pdf``."""
    pages = text_layout(pdf)
    fonts = sorted({r.font for p in pages for r in p.runs}) or ["SimSun"]
    font_ids = {name: i for i, name in enumerate(fonts, start=1)}
    next_id = len(fonts) + 1
    contents: list[tuple[int, bytes]] = []
    for page in pages:
        page_id = next_id
        body, next_id = _page_xml(page, font_ids, next_id + 1)
        contents.append((page_id, body))
    first = pages[0] if pages else PageLayout(210.0, 297.0)
    files = {
        "OFD.xml": _ofd_xml(info),
        "Doc_0/Document.xml": _document_xml(first, [i for i, _ in contents], next_id - 1),
        "Doc_0/PublicRes.xml": _public_res(font_ids),
        **{f"Doc_0/Pages/Page_{n}/Content.xml": body for n, (_, body) in enumerate(contents)},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _xml(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _box(x: float, y: float, w: float, h: float) -> str:
    return f"{x:.3f} {y:.3f} {w:.3f} {h:.3f}"


def _ofd_xml(info: OfdInfo) -> bytes:
    doc_id = uuid.uuid5(uuid.NAMESPACE_URL, f"liuhen:{info.subject}:{info.title}").hex
    from liuhen import __version__

    return _xml(
        f'<ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">\n'
        " <ofd:DocBody>\n"
        "  <ofd:DocInfo>\n"
        f"   <ofd:DocID>{doc_id}</ofd:DocID>\n"
        f"   <ofd:Title>{escape(info.title)}</ofd:Title>\n"
        f"   <ofd:Author>{escape(info.author)}</ofd:Author>\n"
        f"   <ofd:Subject>{escape(info.subject)}</ofd:Subject>\n"
        f"   <ofd:CreationDate>{info.created.date().isoformat()}</ofd:CreationDate>\n"
        "   <ofd:Creator>LiuHen 留痕</ofd:Creator>\n"
        f"   <ofd:CreatorVersion>{escape(__version__)}</ofd:CreatorVersion>\n"
        "  </ofd:DocInfo>\n"
        "  <ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>\n"
        " </ofd:DocBody>\n"
        "</ofd:OFD>\n"
    )


def _document_xml(first: PageLayout, page_ids: list[int], max_id: int) -> bytes:
    pages = "".join(
        f'  <ofd:Page ID="{pid}" BaseLoc="Pages/Page_{n}/Content.xml"/>\n'
        for n, pid in enumerate(page_ids)
    )
    return _xml(
        f'<ofd:Document xmlns:ofd="{NS}">\n'
        " <ofd:CommonData>\n"
        f"  <ofd:MaxUnitID>{max_id}</ofd:MaxUnitID>\n"
        f"  <ofd:PageArea><ofd:PhysicalBox>{_box(0, 0, first.width, first.height)}"
        "</ofd:PhysicalBox></ofd:PageArea>\n"
        "  <ofd:PublicRes>PublicRes.xml</ofd:PublicRes>\n"
        " </ofd:CommonData>\n"
        f" <ofd:Pages>\n{pages} </ofd:Pages>\n"
        "</ofd:Document>\n"
    )


def _style(font: str) -> str:
    """The OFD font attributes a substitute needs: bold, and serif for a 宋体-like face."""
    lowered = font.lower()
    bold = ' Bold="true"' if "bold" in lowered or "heavy" in lowered else ""
    serif = ' Serif="true"' if family(font) in ("宋体", "仿宋", "楷体") else ""
    return bold + serif


def _public_res(font_ids: dict[str, int]) -> bytes:
    fonts = "".join(
        f'  <ofd:Font ID="{i}" FontName={quoteattr(name)} FamilyName={quoteattr(family(name))}'
        f"{_style(name)}/>\n"
        for name, i in font_ids.items()
    )
    return _xml(
        f'<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">\n <ofd:Fonts>\n{fonts} </ofd:Fonts>\n</ofd:Res>\n'
    )


def _page_xml(page: PageLayout, font_ids: dict[str, int], next_id: int) -> tuple[bytes, int]:
    layer_id, next_id = next_id, next_id + 1
    objects = []
    for run in page.runs:
        width = max(advance(run.text, run.size), 0.1)
        top = run.y - run.size
        objects.append(
            f'   <ofd:TextObject ID="{next_id}" Boundary="{_box(run.x, top, width, run.size * 1.25)}"'
            f' Font="{font_ids[run.font]}" Size="{run.size:.3f}">'
            f'<ofd:TextCode X="0" Y="{run.size:.3f}">{escape(run.text)}</ofd:TextCode>'
            "</ofd:TextObject>\n"
        )
        next_id += 1
    body = _xml(
        f'<ofd:Page xmlns:ofd="{NS}">\n'
        f" <ofd:Area><ofd:PhysicalBox>{_box(0, 0, page.width, page.height)}</ofd:PhysicalBox></ofd:Area>\n"
        f' <ofd:Content>\n  <ofd:Layer ID="{layer_id}">\n{"".join(objects)}  </ofd:Layer>\n'
        " </ofd:Content>\n</ofd:Page>\n"
    )
    return body, next_id
