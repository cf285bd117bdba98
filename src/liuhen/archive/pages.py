"""Laying out the pages LiuHen draws (Jinja2 HTML -> WeasyPrint PDF, CJK fonts embedded).

All generated item pages are laid out in one pass, each view in its own ``<section>``
starting a new page; the anchors WeasyPrint reports per page tell where each view starts,
so the catalogue can cite real page numbers without a second layout.

Laying out and writing are apart: each part of a case file (the item pages, the cover and
catalogue, the 备考表, the page numbers, the documents drawn from their fields) is laid out
on its own, and ``write_together`` writes all of them as one PDF. Each CJK font is then
subset once to the glyphs of the whole case file and embedded once; a PDF written per part
subset the same fonts again each time (~50 ms a font a write) and carried a copy of each.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("liuhen.archive", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )


@cache
def _css() -> str:
    return resources.files("liuhen.archive").joinpath("templates/case_file.css").read_text("utf-8")


def _render(template: str, **context: Any) -> Any:
    import weasyprint  # type: ignore[import-untyped]

    html = _environment().get_template(template).render(css=_css(), **context)
    return weasyprint.HTML(string=html).render()


def lay_out_items(views: Sequence[Mapping[str, Any]]) -> tuple[Any, list[tuple[int, int]]]:
    """All ``views`` laid out in one document (None when there are none), and for each
    its (first page index, page count)."""
    if not views:
        return None, []
    pages = [{**v, "anchor": f"part-{i}"} for i, v in enumerate(views)]
    document = _render("items.html", pages=pages)
    starts: dict[int, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            if name.startswith("part-"):
                starts.setdefault(int(name.removeprefix("part-")), index)
    total = len(document.pages)
    bounds = [starts[i] for i in range(len(views))] + [total]
    spans = [(bounds[i], bounds[i + 1] - bounds[i]) for i in range(len(views))]
    return document, spans


def lay_out_front(
    cover: Mapping[str, Any], catalogue: Sequence[Mapping[str, Any]]
) -> tuple[Any, int]:
    """The cover and the 卷内目录 (as many pages as it takes), and where the catalogue starts."""
    document = _render("front.html", cover=cover, catalogue=catalogue)
    start = next(i for i, page in enumerate(document.pages) if "catalogue" in page.anchors)
    return document, start


def lay_out_back(back: Mapping[str, Any]) -> Any:
    """The 卷内备考表."""
    return _render("back.html", back=back)


def lay_out_numbers(numbers: Sequence[int]) -> Any:
    """One A4 page per number, the number alone at the bottom right, to lay over a page."""
    import weasyprint

    html = _environment().get_template("numbers.html").render(numbers=numbers)
    return weasyprint.HTML(string=html).render()


def write_together(documents: Sequence[Any]) -> list[list[Any]]:
    """The pages of the laid-out ``documents`` written as one PDF, and each document's pages
    of it (pypdf pages, in order): fonts subset and embedded once for all of them."""
    from pypdf import PdfReader

    if not documents:
        return []
    pages = [page for document in documents for page in document.pages]
    reader = PdfReader(io.BytesIO(documents[0].copy(pages).write_pdf()))
    out: list[list[Any]] = []
    at = 0
    for document in documents:
        count = len(document.pages)
        out.append(list(reader.pages[at : at + count]))
        at += count
    return out


Slot = Any
"""A page of the case file before the write: a stored PDF's pypdf page, or (document,
page) of a laid-out document in ``Generated``."""


class Generated:
    """The laid-out documents of one case file, written together as one PDF at the end."""

    def __init__(self) -> None:
        self.documents: list[Any] = []

    def add(self, document: Any) -> list[Slot]:
        index = len(self.documents)
        self.documents.append(document)
        return [(index, page) for page in range(len(document.pages))]

    def write(self) -> Callable[[Sequence[Slot]], list[Any]]:
        """Write them all; return what turns slots into the written pypdf pages."""
        written = write_together(self.documents)

        def pages(slots: Sequence[Slot]) -> list[Any]:
            return [written[s[0]][s[1]] if isinstance(s, tuple) else s for s in slots]

        return pages
