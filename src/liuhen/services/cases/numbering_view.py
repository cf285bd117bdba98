"""编号字号 page (the head's): the 字号 of each kind of number with the next number, and the
year's register of numbers per kind, every serial from 1 to the last one issued: used (by
what), withdrawn (作废, with why) or a gap (空号, explained or not yet)."""

from __future__ import annotations

from dataclasses import dataclass, field

from liuhen.domain.numbering import Style, default_style
from liuhen.ledger.events import Actor
from liuhen.services.cases.numbering import MANAGE, kinds, managed_agency
from liuhen.services.cases.queries import numbering as q
from liuhen.services.permissions import require
from liuhen.store.store import Store

REGISTER_MAX = 2000
"""Serials a kind's register shows in full for a year (past it: the newest ones)."""


@dataclass(frozen=True)
class Line:
    serial: int | None
    number: str
    state: str  # issued, void, gap, typed
    reason: str = ""
    href: str = ""


@dataclass
class KindView:
    kind: str
    name: str
    style: Style
    next_number: str
    last: int
    lines: list[Line] = field(default_factory=list)

    @property
    def unexplained(self) -> int:
        return sum(1 for line in self.lines if line.state == "gap" and not line.reason)


@dataclass(frozen=True)
class NumberingPage:
    year: int
    kinds: list[KindView]
    years: list[int]


def numbering_page(store: Store, actor: Actor, year: int) -> NumberingPage:
    """The page's view model; the viewing is on the ledger."""
    require(actor, MANAGE)
    agency_id = managed_agency(actor)
    with store.read() as conn:
        saved, name = q.styles(conn, agency_id), q.agency_name(conn, agency_id)
        counters = q.counters(conn, agency_id, year)
        issued = q.issued(conn, agency_id, year)
        voids = q.voids(conn, agency_id, year)
    views = []
    for kind, (title, code) in kinds().items():
        last = counters.get(kind, 0)
        style = _style(saved.get(kind), name, code)
        view = KindView(kind, title, style, style.format(year, last + 1), last)
        view.lines = _lines(kind, last, [r for r in issued if r["kind"] == kind], voids)
        views.append(view)
    store.record_view(
        actor,
        "numbering.viewed",
        subject_type="agency",
        subject_id=agency_id,
        payload={"year": year},
    )
    now = store.clock().year
    return NumberingPage(year, views, list(range(now, now - 5, -1)))


def _style(row: dict[str, object] | None, agency_name: str, code: str) -> Style:
    if row is None:
        return default_style(agency_name, code)
    return Style(str(row["word"]), bool(row["di"]), bool(row["manual"]), int(str(row["version"])))


def _lines(
    kind: str, last: int, rows: list[dict[str, object]], voids: dict[tuple[str, int], str]
) -> list[Line]:
    by_serial = {r["serial"]: r for r in rows if r["serial"] is not None}
    lines = []
    for serial in range(max(1, last - REGISTER_MAX + 1), last + 1):
        reason = voids.get((kind, serial), "")
        row = by_serial.get(serial)
        if row is None:
            lines.append(Line(serial, "", "gap", reason))
            continue
        state = "void" if reason else "issued"
        lines.append(Line(serial, str(row["number"]), state, reason, _href(row)))
    for row in rows:
        if row["serial"] is None:
            lines.append(Line(None, str(row["number"]), "typed", "", _href(row)))
    return lines


def _href(row: dict[str, object]) -> str:
    """The case a number was issued to, or the document on its case page."""
    if row["subject_type"] == "case":
        return f"/cases/{row['subject_id']}"
    if row.get("case_id"):
        return f"/cases/{row['case_id']}#record-{row['subject_id']}"
    return ""  # a document whose save failed: its number withdrawn
