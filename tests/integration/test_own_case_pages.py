"""An officer's case list (their own cases: those they are an officer on and those they
opened) is read newest first from the indexes that carry the opening time and number
(``summary_officers``, ``created_by``), page by page; each page must hold exactly what
reading every own case and sorting it would, whatever the filter and the page."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from tests.factories import SYSTEM, make_agency, make_inspection, make_numbered_case, make_user

from liuhen.services.cases.cases import list_page
from liuhen.services.cases.summaries import ensure_current
from liuhen.services.permissions import case_scope
from liuhen.store.queries import case_list, case_page
from liuhen.store.queries.case_list import Filter, cs


@pytest.fixture
def officer_cases(store):  # type: ignore[no-untyped-def]
    """Seventeen cases: every third opened by the officer's user, every other one with the
    officer on an act (some both, some neither), two opened at the same moment."""
    made = make_agency(store, officers={"张三": "C-1", "李四": "C-2"})
    user = make_user(store, "zhangsan", agency_id=made["agency"], officer_id=made["张三"])
    start = datetime(2026, 10, 1, 9, 0, tzinfo=store.settings.tz)
    for n in range(17):
        opened = start + timedelta(days=n if n != 5 else 4)  # 4 and 5 opened together
        actor = user.actor if n % 3 == 0 else SYSTEM
        case = make_numbered_case(store, made["agency"], n, opened, actor)
        if n % 2 == 0:
            officer = made["张三"] if n % 4 else made["李四"]  # 李四 alone on some
            make_inspection(
                store, case, opened, [made["张三"], made["李四"]] if n % 8 == 0 else [officer]
            )
    ensure_current(store, store.clock())
    return user


def _all_sorted(conn, scope, f, now):  # type: ignore[no-untyped-def]
    query = (
        select(cs.c.case_id)
        .where(*case_list.where(scope, f, now, conn))
        .order_by(cs.c.opened_at.desc(), cs.c.number.desc())
    )
    return [r[0] for r in conn.execute(query)]


@pytest.mark.parametrize("wanted", [Filter(), Filter(procedure="simple"), Filter(stage="x")])
def test_every_page_of_own_cases_is_the_sorted_slice(store, officer_cases, wanted):
    scope = case_scope(officer_cases.actor, "case.read")
    assert scope is not None and scope.agency_id is None  # an officer: own cases only
    now = store.clock()
    with store.read() as conn:
        every = _all_sorted(conn, scope, wanted, now)
        for size in (1, 3, 5, 50):
            for offset in range(0, len(every) + size, size):
                rows = case_page.page(
                    conn, scope, wanted, now, offset=offset, limit=size, columns=case_list.LINE
                )
                assert [r.case_id for r in rows] == every[offset : offset + size]
    if wanted == Filter():
        assert len(every) == 11  # 0 2 3 6 8 9 10 12 14 15 16 (not 4: 李四 alone)


def test_the_list_page_shows_own_cases_newest_first(store, officer_cases):
    page = list_page(store, officer_cases.actor, page=2, size=5)
    assert page.total == 11 and len(page.items) == 5
    opened = [c.opened_at for c in page.items]
    assert opened == sorted(opened, reverse=True)


SEARCHES = ("占道", "当事人1", "第3号", "测试〔2026〕01", "%", "张三")


@pytest.mark.parametrize("q", SEARCHES)
def test_an_officers_search_reads_the_same_cases_either_way(store, officer_cases, q):
    """A search of an officer's own cases reads the same pages and counts whether it is
    driven by their own cases (each checked) or by the full-text index's candidates (each
    tested for being theirs), as by the plain ``IN`` of every own case."""
    scope = case_scope(officer_cases.actor, "case.read")
    assert scope is not None
    wanted = Filter(q=q)
    now = store.clock()
    with store.read() as conn:
        every = _all_sorted(conn, scope, wanted, now)
        for drive in ("", "own", "matches"):
            assert case_list.count(conn, scope, wanted, now, drive=drive) == len(every), drive
            assert case_list.count(conn, scope, wanted, now, cap=2, drive=drive) == min(
                len(every), 3
            )
            for size in (1, 3, 50):
                for offset in range(0, len(every) + size, size):
                    rows = case_page.page(
                        conn, scope, wanted, now, offset=offset, limit=size,
                        columns=case_list.LINE, drive=drive,
                    )  # fmt: skip
                    assert [r.case_id for r in rows] == every[offset : offset + size], drive
    assert len(every) == {"占道": 11, "当事人1": 5, "第3号": 1, "%": 0, "张三": 0}.get(q, 5)


def test_a_search_is_driven_by_whichever_reads_fewer_rows(store, officer_cases):
    """A word every case of the store holds is read through the officer's 11 cases; a
    word one case holds, through the index's one candidate; punctuation alone, which the
    index cannot look up, through the officer's cases."""
    scope = case_scope(officer_cases.actor, "case.read")
    assert scope is not None
    with store.read() as conn:
        assert case_list.search_drive(conn, scope, Filter(q="占道"), 11) == "own"
        assert case_list.search_drive(conn, scope, Filter(q="第3号"), 11) == "matches"
        assert case_list.search_drive(conn, scope, Filter(q="%"), 11) == "own"
        assert case_list.search_drive(conn, scope, Filter(), 11) == ""
        head = case_list.Scope(agency_id="a", user_id="u")  # not own cases alone
        assert case_list.search_drive(conn, head, Filter(q="占道"), 11) == ""
    found = list_page(store, officer_cases.actor, Filter(q="占道"), page=2, size=5)
    assert found.total == 11 and found.matched == 11 and len(found.items) == 5
    opened = [c.opened_at for c in found.items]
    assert opened == sorted(opened, reverse=True)
