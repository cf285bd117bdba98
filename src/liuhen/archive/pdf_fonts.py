"""Which fonts a PDF uses, and whether its Chinese text can be shown anywhere.

A PDF is only usable years later (四性 可用性, and the court clerk's screen) when every font
it draws text with is embedded: a reader without the font substitutes another, and Chinese
text in a substituted Latin font is boxes. ``font_uses`` lists each font resource of each
page with whether its program is embedded and whether it is a CJK face; ``cjk_problems``
turns that into sentences naming the page and the font. Uses pypdf; reads nothing else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

CJK_MARKERS = (
    "CJK",
    "SourceHan",
    "Source-Han",
    "WenQuanYi",
    "wqy",
    "SimSun",
    "SimHei",
    "FangSong",
    "KaiTi",
    "Song",
    "Hei",
    "Ming",
    "YaHei",
    "PingFang",
    "Fang",
)
"""Parts of a font's PostScript name that mark a face with Chinese glyphs."""


@dataclass(frozen=True)
class FontUse:
    page: int  # 1-based
    name: str  # the BaseFont without its subset tag (``ABCDEF+``)
    embedded: bool
    cjk: bool


def font_uses(pdf: bytes) -> list[FontUse]:
    """Every font resource of every page; ``ValueError`` when ``pdf`` is not a readable PDF."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        uses: list[FontUse] = []
        for number, page in enumerate(reader.pages, start=1):
            resources = page.get("/Resources")
            fonts = resources.get_object().get("/Font") if resources is not None else None
            for ref in (fonts.get_object() if fonts is not None else {}).values():
                uses.append(_use(number, ref.get_object()))
        return uses
    except (PyPdfError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"无法读取 PDF（{type(exc).__name__}）") from exc


def _use(page: int, font: Any) -> FontUse:
    base = str(font.get("/BaseFont", "?")).lstrip("/")
    name = base.split("+", 1)[1] if len(base) > 7 and base[6] == "+" else base
    descriptor = font.get("/FontDescriptor")
    descendants = font.get("/DescendantFonts")
    if descendants is not None:
        descriptor = descendants.get_object()[0].get_object().get("/FontDescriptor")
    keys = descriptor.get_object().keys() if descriptor is not None else ()
    embedded = any(str(k).startswith("/FontFile") for k in keys)
    cjk = any(marker.lower() in name.lower() for marker in CJK_MARKERS)
    return FontUse(page, name, embedded, cjk)


def cjk_problems(pdf: bytes) -> list[str]:
    """Why the Chinese text of ``pdf`` may not show elsewhere: a Chinese font not embedded,
    or Chinese text with no embedded Chinese font at all (set in a substitute, it shows as
    boxes). Empty if fine; Latin fonts that are not embedded are not this check's concern.
    The text is read only when no Chinese font is embedded."""
    try:
        uses = font_uses(pdf)
    except ValueError as exc:
        return [str(exc)]
    problems = [f"第 {u.page} 页中文字体 {u.name} 未嵌入" for u in uses if u.cjk and not u.embedded]
    if problems or any(u.cjk and u.embedded for u in uses):
        return problems
    if has_chinese_text(pdf):
        names = "、".join(sorted({u.name for u in uses})) or "无"
        problems.append(f"含中文文字，但没有嵌入中文字体（所用字体：{names}）：中文可能显示为方框")
    return problems


def has_chinese_text(pdf: bytes) -> bool:
    """Whether any page's text has a CJK ideograph."""
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        if any(
            "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in page.extract_text()
        ):
            return True
    return False
