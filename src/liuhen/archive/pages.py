"""Laying out the pages LiuHen draws (Jinja2 HTML -> WeasyPrint PDF, CJK fonts embedded).

All generated item pages are laid out in one pass, each view in its own ``<section>``
starting a new page; the anchors WeasyPrint reports per page tell where each view starts,
so the catalogue can cite real page numbers without a second layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def render_items(views: Sequence[Mapping[str, Any]]) -> tuple[bytes, list[tuple[int, int]]]:
    """All ``views`` in one PDF, and for each its (first page index, page count)."""
    if not views:
        return b"", []
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
    return bytes(document.write_pdf()), spans


def render_front(
    cover: Mapping[str, Any], catalogue: Sequence[Mapping[str, Any]]
) -> tuple[bytes, int]:
    """The cover and the 卷内目录 (as many pages as it takes), and where the catalogue starts."""
    document = _render("front.html", cover=cover, catalogue=catalogue)
    start = next(i for i, page in enumerate(document.pages) if "catalogue" in page.anchors)
    return bytes(document.write_pdf()), start


def render_back(back: Mapping[str, Any]) -> bytes:
    """The 卷内备考表."""
    return bytes(_render("back.html", back=back).write_pdf())


def render_numbers(numbers: Sequence[int]) -> bytes:
    """One A4 page per number, the number alone at the bottom right, to lay over a page."""
    import weasyprint

    html = _environment().get_template("numbers.html").render(numbers=numbers)
    return bytes(weasyprint.HTML(string=html).write_pdf())
