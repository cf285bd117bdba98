"""Long lists in pages (the case list of a county bureau runs to thousands of cases): one
page of rows and the links to the others, keeping every other query parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from liuhen.errors import InvalidInput

PAGE_SIZE = 50
API_PAGE_SIZE = 100
API_MAX_SIZE = 500
"""Items a JSON list's page holds: ``?size=`` up to ``API_MAX_SIZE`` (a county's store holds
100,000 cases: one answer with all of them would be tens of megabytes)."""


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    pages: int
    total: int
    size: int
    links: dict[str, str]  # first / previous / next / last -> href (only those that exist)
    more: bool = False  # more rows than ``total`` exist (a search counted up to its cap)

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.number * self.size, self.total)


def requested(request: Request) -> int:
    """The page number ``?page=N`` asks for (1 when none)."""
    raw = request.query_params.get("page", "1") or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInput(f"page: 页码应为正整数，收到 {raw!r}")
    return int(raw)


def api_size(raw: str) -> int:
    """The page size ``?size=N`` asks of a JSON list (``API_PAGE_SIZE`` when none)."""
    raw = raw or str(API_PAGE_SIZE)
    if not raw.isdigit() or not 1 <= int(raw) <= API_MAX_SIZE:
        raise InvalidInput(f"size: 每页件数应为 1 至 {API_MAX_SIZE} 之间的整数，收到 {raw!r}")
    return int(raw)


def paged(
    request: Request,
    rows: list[Any],
    number: int,
    total: int,
    size: int = PAGE_SIZE,
    *,
    more: bool = False,
) -> Page:
    """The page ``number`` whose ``rows`` the query already cut (of ``total`` in all, or of
    more than ``total`` when ``more``: only the first ``total`` are paged through)."""
    pages = max(1, -(-total // size))
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

    def href(n: int) -> str:
        return f"{request.url.path}?{urlencode([*kept, ('page', str(n))])}"

    links: dict[str, str] = {}
    if number > 1:
        links.update(first=href(1), previous=href(number - 1))
    if number < pages:
        links.update(next=href(number + 1), last=href(pages))
    return Page(rows, number, pages, total, size, links, more)
