"""The dashboard's drill-down links: the cheap join of cached quotes makes the same string
``urlencode`` makes (the case list reads them back with the usual parser)."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlencode

from liuhen.services.oversight.dashboard_filters import Filters
from liuhen.web.oversight.dashboard import drill


def test_drill_is_urlencode_of_the_filters_narrowed() -> None:
    f = Filters("agency-1", "综合执法 一组", "14010020230001", date(2026, 1, 1), date(2026, 12, 1))
    link = drill(f, "cat:av&late", **{"from": "2026-03", "to": "2026-03", "officer": ""})
    expected = {**f.query(), "from": "2026-03", "to": "2026-03", "metric": "cat:av&late"}
    expected.pop("officer")  # narrowed to nothing: left out, as urlencode of the non-empty
    assert link == "/cases?" + urlencode(expected)
    assert dict(parse_qsl(link.split("?", 1)[1])) == expected


def test_filters_query_is_a_copy() -> None:
    f = Filters(None, "", "", date(2026, 1, 1), date(2026, 2, 1))
    f.query()["from"] = "changed"
    assert f.query() == {"from": "2026-01", "to": "2026-02"}
