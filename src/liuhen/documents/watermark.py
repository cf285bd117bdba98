"""A visible watermark on every page of a PDF copy (复制件), the original left untouched.

WeasyPrint draws the watermark (a band of text across the foot of the page and the same
words repeated diagonally in light grey) as a transparent one-page PDF of each page's size;
pypdf lays it over every page of the copy. The words are real text in an embedded Noto CJK
font, so they can be read back (``pypdf``'s ``extract_text``) as well as seen.

A plain-text file (a 笔录 kept as .txt) is first set as an A4 PDF, so it can carry the mark.
"""

from __future__ import annotations

from html import escape
from io import BytesIO

from pypdf import PdfReader, PdfWriter

from liuhen.errors import InvalidInput

_OVERLAY = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page {{ size: {w}pt {h}pt; margin: 0; }}
html, body {{ margin: 0; padding: 0; }}
body {{ width: {w}pt; height: {h}pt; position: relative; overflow: hidden;
  font-family: "Noto Sans CJK SC", sans-serif; }}
.diag {{ position: absolute; left: -{w}pt; top: {top}pt; width: {dw}pt; transform: rotate(-30deg);
  color: rgba(200, 30, 30, 0.16); font-size: {fs}pt; line-height: {lh}pt; white-space: nowrap; }}
.band {{ position: absolute; left: 0; right: 0; bottom: 6pt; text-align: center;
  color: rgba(180, 20, 20, 0.85); font-size: 8pt; line-height: 10pt; }}
</style></head><body>
<div class="diag">{rows}</div>
<div class="band">{band}</div>
</body></html>"""


def watermark_text(requester: str, number: str, day: str) -> str:
    """The words every page of a copy carries: what it is, for whom, under which request."""
    return f"复制件 仅供{requester}使用 申请编号：{number} 日期：{day}"


def _overlay(width: float, height: float, text: str) -> PdfReader:
    size = max(12.0, min(width, height) / 26)
    rows = "<br>".join(escape(f"{text}　　{text}") for _ in range(int(height * 2 / size / 2.2)))
    html = _OVERLAY.format(
        w=f"{width:.2f}",
        h=f"{height:.2f}",
        top=f"{-height / 2:.2f}",
        dw=f"{width * 3:.2f}",
        fs=f"{size:.1f}",
        lh=f"{size * 2.2:.1f}",
        rows=rows,
        band=escape(text),
    )
    import weasyprint  # type: ignore[import-untyped]  # on first use: ~0.5 s a process

    return PdfReader(BytesIO(weasyprint.HTML(string=html).write_pdf()))


def watermark_pdf(pdf: bytes, text: str) -> bytes:
    """``pdf`` with ``text`` drawn over every page; the input bytes are not changed."""
    try:
        reader = PdfReader(BytesIO(pdf))
        pages = list(reader.pages)
    except Exception as exc:  # pypdf raises many kinds for a damaged file
        raise InvalidInput(f"file: PDF 文件无法读取，不能加注水印（{exc}）") from exc
    overlays: dict[tuple[float, float], PdfReader] = {}
    writer = PdfWriter()
    for page in pages:
        box = page.mediabox
        key = (round(float(box.width), 2), round(float(box.height), 2))
        if key not in overlays:
            overlays[key] = _overlay(*key, text)
        mark = overlays[key].pages[0]
        new = writer.add_page(page)
        new.merge_translated_page(mark, float(box.left), float(box.bottom), over=True)
    writer.add_metadata({"/Title": text, "/Subject": "复制件（水印）"})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


_TEXT_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 25mm 22mm; }}
body {{ font-family: "Noto Serif CJK SC", serif; font-size: 12pt; line-height: 1.7; }}
h1 {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 13pt; margin: 0 0 12pt; }}
pre {{ font-family: inherit; white-space: pre-wrap; word-break: break-all; margin: 0; }}
</style></head><body><h1>{title}</h1><pre>{body}</pre></body></html>"""


def text_to_pdf(title: str, text: str) -> bytes:
    """A plain-text record set on A4 pages, so that its copy can carry the watermark."""
    html = _TEXT_PAGE.format(title=escape(title), body=escape(text))
    import weasyprint  # on first use (see _overlay)

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
