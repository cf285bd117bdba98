"""A case list's page and count statements are built once per shape of the reader's scope and
run with each reader's own values (``store/queries/case_page``, ``case_list.count``): two
readers of the same shape share the statement, and each sees exactly what a statement built
for them alone would show."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from tests.factories import SYSTEM, make_agency, make_inspection, make_numbered_case, make_user

from liuhen.services.cases.summaries import ensure_current
from liuhen.services.permissions import case_scope
from liuhen.store.queries import case_list, case_page
from liuhen.store.queries.case_list import LINE, Filter, Scope


@pytest.fixture
def readers(store: Any) -> dict[str, Any]:
    """Twelve cases of one agency: the two officers' users each opened some and are on the
    acts of others; a third of the cases are in section 一队, the rest in 二队, every fifth
    marked a commercial secret."""
    made = make_agency(store, officers={"张三": "C-1", "李四": "C-2"})
    zhang = make_user(store, "zhangsan", agency_id=made["agency"], officer_id=made["张三"])
    li = make_user(store, "lisi", agency_id=made["agency"], officer_id=made["李四"])
    start = datetime(2026, 10, 1, 9, 0, tzinfo=store.settings.tz)
    for n in range(12):
        opened = start + timedelta(days=n)
        case = make_numbered_case(
            store,
            made["agency"],
            n,
            opened,
            (zhang.actor, li.actor, SYSTEM)[n % 3],
            section="一队" if n % 3 == 0 else "二队",
            confidentiality=["commercial_secret"] if n % 5 == 0 else None,
        )
        if n % 2 == 0:
            make_inspection(store, case, opened, [made["李四"] if n % 4 else made["张三"]])
    ensure_current(store, store.clock())
    return {"agency": made["agency"], "zhang": zhang, "li": li}


def _alone(conn: Any, scope: Scope, f: Filter, offset: int, limit: int) -> list[str]:
    """The page as a statement built for this reader alone (their values written in)."""
    now = datetime.now().astimezone()
    query = case_page._page_statement(scope, f, now, conn, offset, limit, "opened", LINE, False, "")
    return [r.case_id for r in conn.execute(query)]


def _scopes(readers: dict[str, Any]) -> list[tuple[Scope, Scope]]:
    """Pairs of scopes of one shape with different values."""
    zhang, li = readers["zhang"], readers["li"]
    own = [case_scope(u.actor, "case.read") for u in (zhang, li)]
    assert all(s is not None and case_list.own_only(s) for s in own)

    def section(u: Any, name: str) -> Scope:
        return Scope(
            agency_id=readers["agency"],
            section=name,
            user_id=u.id,
            officer_id=u.officer_id,
            cleared=frozenset({"personal_privacy"}),
        )

    return [
        (own[0], own[1]),  # type: ignore[arg-type]
        (section(zhang, "一队"), section(li, "二队")),
        (Scope(agency_id=readers["agency"]), Scope(agency_id="another agency")),
    ]


@pytest.mark.parametrize(
    "wanted",
    [Filter(), Filter(procedure="simple"), Filter(q="占道"), Filter(problems="pending")],
)
def test_readers_of_one_shape_share_a_statement_and_see_their_own_rows(
    store: Any, readers: dict[str, Any], wanted: Filter
) -> None:
    now = store.clock()
    with store.read() as conn:
        for first, second in _scopes(readers):
            for offset, limit in ((0, 5), (5, 5), (0, 50)):
                mine = case_page.page(
                    conn, first, wanted, now, offset=offset, limit=limit, columns=LINE
                )
                built = len(case_page.PAGES)
                theirs = case_page.page(
                    conn, second, wanted, now, offset=offset, limit=limit, columns=LINE
                )
                assert len(case_page.PAGES) == built  # the second reader built nothing
                assert [r.case_id for r in mine] == _alone(conn, first, wanted, offset, limit)
                assert [r.case_id for r in theirs] == _alone(conn, second, wanted, offset, limit)
            for scope in (first, second):  # the count's statement is shared the same way
                every = len(_alone(conn, scope, wanted, 0, 1000))
                assert case_list.count(conn, scope, wanted, now) == every
                assert case_list.count(conn, scope, wanted, now, cap=2) == min(every, 3)
    if wanted.problems:  # (no case of these has findings: the rows matched, both empty)
        return
    pairs = _scopes(readers)
    with store.read() as conn:  # the pairs differ: a shared statement did not answer alike
        differ = [
            _alone(conn, a, wanted, 0, 50) != _alone(conn, b, wanted, 0, 50) for a, b in pairs
        ]
    assert all(differ), differ


@pytest.mark.parametrize(
    ("first", "second"),
    [("第3号", "第4号"), ("当事人3", "当事人4"), ("%", "_"), ("1", "2")],
)
def test_searches_of_one_shape_share_a_statement_and_find_their_own_words(
    store: Any, readers: dict[str, Any], first: str, second: str
) -> None:
    """Two words of one shape (both with letters or digits the index knows, or neither), by
    the agency's reader and by an officer (whose search is driven by their own cases or by
    the index, as ``search_drive`` chooses: both here)."""
    now = store.clock()
    agency = Scope(agency_id=readers["agency"])
    officer = case_scope(readers["zhang"].actor, "case.read")
    assert officer is not None
    with store.read() as conn:
        for scope, drive in ((agency, ""), (officer, "own"), (officer, "matches")):
            found = []
            for q in (first, second):
                wanted = Filter(q=q)
                before = len(case_page.PAGES)
                rows = case_page.page(conn, scope, wanted, now, limit=50, columns=LINE, drive=drive)
                alone = case_page._page_statement(
                    scope, wanted, now, conn, 0, 50, "opened", LINE, False, drive
                )
                assert [r.case_id for r in rows] == [r.case_id for r in conn.execute(alone)]
                counted = case_list.count(conn, scope, wanted, now, cap=100, drive=drive)
                assert counted == len(rows)
                found.append(([r.case_id for r in rows], len(case_page.PAGES) - before))
            (mine, built), (theirs, again) = found
            assert again == 0
            if first not in ("%", "_"):
                assert mine != theirs, (scope, first, second)
