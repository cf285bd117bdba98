"""Case lists are filtered, searched, counted and paged in SQL on the summaries' index: a
search by one, two or more Chinese characters, by digits (full-width too) or by punctuation
finds exactly the cases whose number, title or party contains it, within the reader's scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.helpers import SYSTEM

from liuhen.ledger.events import Actor
from liuhen.services.admin.agency import create_agency
from liuhen.services.cases.cases import list_page, open_case
from liuhen.store import tables as t
from liuhen.store.queries.case_list import Filter
from liuhen.store.search import search_terms

PARTIES = ["王建国", "李明", "某石料厂", "示范县东街木材加工厂", "张伟", "ABC贸易有限公司"]


@pytest.fixture
def cases(store, clock):  # type: ignore[no-untyped-def]
    agency = create_agency(store, SYSTEM, name="测试县综合行政执法局", profile_id="shanxi-township")
    for n, party in enumerate(PARTIES, start=1):
        open_case(
            store,
            SYSTEM,
            agency_id=agency,
            number=f"测综罚〔2026〕{n:03d}号",
            title=f"{party}占道经营案" if n % 2 else f"{party}未经批准堆放木材案",
            procedure="general",
            party={"kind": "person", "name": party},
            opened_at=clock() - timedelta(hours=n),
        )
    return agency


def found(store, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.party["name"] for c in list_page(store, SYSTEM, Filter(q=q)).items]


def test_searches_of_any_length_find_exactly_the_cases_that_contain_them(store, cases):
    assert found(store, "李明") == ["李明"]  # two characters: one bigram
    assert found(store, "伟") == ["张伟"]  # one character, at the end of a run
    assert found(store, "石") == ["某石料厂"]  # one character inside a run
    assert sorted(found(store, "木材")) == sorted(
        ["李明", "示范县东街木材加工厂", "ABC贸易有限公司"]
    )
    assert found(store, "东街木材加工") == ["示范县东街木材加工厂"]
    assert found(store, "材木") == []  # the bigrams of 木材 in another order are no match
    assert found(store, "abc贸易") == ["ABC贸易有限公司"]  # case folded
    assert found(store, "〔2026〕004") == ["示范县东街木材加工厂"]
    assert found(store, "００５") == ["张伟"]  # full-width digits
    assert len(found(store, "〔")) == len(PARTIES)  # punctuation only: checked, not indexed
    assert found(store, "没有的名字") == []


def test_counts_and_pages_come_from_sql(store, cases):
    page = list_page(store, SYSTEM, Filter(q="经营"), page=1, size=2)
    assert (page.matched, page.total, page.number, len(page.items)) == (3, 6, 1, 2)
    last = list_page(store, SYSTEM, Filter(q="经营"), page=9, size=2)  # past the end
    assert last.number == 2 and len(last.items) == 1
    assert [c.opened_at for c in page.items] == sorted(
        (c.opened_at for c in page.items), reverse=True
    )


def test_a_search_is_counted_up_to_its_cap_and_says_there_are_more(store, cases, monkeypatch):
    monkeypatch.setattr("liuhen.services.cases.cases.SEARCH_COUNT_CAP", 2)
    page = list_page(store, SYSTEM, Filter(q="经营"), page=1, size=1)  # 3 match
    assert (page.matched, page.more, page.total) == (2, True, 6)
    last = list_page(store, SYSTEM, Filter(q="经营"), page=9, size=1)  # past the cap's end
    assert (last.number, last.more) == (2, True)
    newest_two = list_page(store, SYSTEM, Filter(q="经营"), size=2).items
    assert [c.opened_at for c in last.items] == [newest_two[1].opened_at]
    exact = list_page(store, SYSTEM, Filter(q="厂"), page=1, size=1)  # 2 match: not capped
    assert (exact.matched, exact.more) == (2, False)
    events = t.ledger_events
    with store.read() as conn:
        viewed = conn.execute(
            select(events.c.payload)
            .where(events.c.action == "case.list_viewed")
            .order_by(events.c.seq)
        ).scalars()
        payloads = list(viewed)
    assert payloads[0] == {"count": 6, "matched": 2, "more": True}  # the view says so
    assert payloads[-1] == {"count": 6, "matched": 2}


def test_an_officer_finds_only_their_own_cases(store, cases):
    stranger = Actor(id="u-x", label="外单位", roles=("officer",), agency_id=cases)
    assert list_page(store, stranger, Filter(q="木材")).items == []
    assert list_page(store, stranger).total == 0


def test_index_terms_are_bigrams_of_letter_and_digit_runs():
    assert search_terms("某石料厂") == "厂 料厂 某石 石料"
    assert search_terms("〔2026〕1号") == "02 1号 20 26 6 号"


def test_a_dense_search_read_newest_first_finds_the_same_page(store, cases, monkeypatch):
    queries = ["木材", "经营", "厂", "〔2026〕00", "李明", "〔"]
    indexed = {
        q: [c.id for c in list_page(store, SYSTEM, Filter(q=q), size=2).items] for q in queries
    }
    monkeypatch.setattr("liuhen.services.cases.cases.DENSE", 1)  # every search is "dense"
    monkeypatch.setattr("liuhen.services.cases.cases.DENSE_ROWS", 10)
    walked = {
        q: [c.id for c in list_page(store, SYSTEM, Filter(q=q), size=2).items] for q in queries
    }
    assert walked == indexed and all(indexed[q] for q in queries if q != "李明")
    second = list_page(store, SYSTEM, Filter(q="木材"), page=2, size=2)
    assert [c.party["name"] for c in second.items] == [found(store, "木材")[2]]
