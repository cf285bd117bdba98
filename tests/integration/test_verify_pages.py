"""``verify`` reads the ledger page by page by key (flat memory on PostgreSQL, whose driver
buffers a whole result), each event checked in a few microseconds when it is exactly as
written, cell by cell when it is not: with pages of four events, a clean store verifies with
every event counted, and an event deleted, one changed and one moved are each found."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from tests.helpers import make_case_with_files

from liuhen.ledger.events import Actor
from liuhen.services.archiving.integrity import verify
from liuhen.store import event_rows
from liuhen.store.store import Store

SYSTEM = Actor.system("测试")


def _raw(store: Store, sql: str, **params: object) -> None:
    """Change the ledger as an intruder with database access would (around its guard)."""
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            for verb in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS ledger_events_no_{verb}"))
        else:
            conn.execute(text("ALTER TABLE ledger_events DISABLE TRIGGER USER"))
        conn.execute(text(sql), params)
        conn.commit()


@pytest.fixture
def paged(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    make_case_with_files(store, tmp_path)
    for n in range(12):  # one transaction each: a checkpoint each
        with store.transaction(SYSTEM) as tx:
            payload = {"page": "case", "n": n, "from": "/cases?page=2"}
            tx.record("case.viewed", subject_type="case", subject_id=f"c{n}", payload=payload)
    monkeypatch.setattr(event_rows, "PAGE", 4)
    return store


def test_a_clean_store_verifies_page_by_page(paged: Store) -> None:
    report = verify(paged, SYSTEM)
    assert report.ok, report.problems
    assert report.events == paged.event_count() > 12


def test_an_event_deleted_in_a_later_page_is_found(paged: Store) -> None:
    _raw(paged, "DELETE FROM ledger_events WHERE seq = 13")
    report = verify(paged, SYSTEM)
    assert not report.ok
    assert report.names("ledger_events#13")
    assert {p.kind for p in report.problems} >= {"ledger_event_missing"}


def test_an_event_changed_in_a_later_page_is_found(paged: Store) -> None:
    _raw(paged, "UPDATE ledger_events SET subject_id = 'x' || subject_id WHERE seq = 14")
    report = verify(paged, SYSTEM)
    assert not report.ok
    assert any(
        p.kind == "ledger_event_altered" and p.object == "ledger_events#14" for p in report.problems
    )


def test_a_payload_rewritten_in_another_form_is_named_as_such(paged: Store) -> None:
    """The same payload in other JSON text (spaced out): the digest still matches what it
    means, and the fast check's shortcut (a payload that hashes to its digest is taken as
    written) must not hide that the cell is not as LiuHen wrote it."""
    with paged.read() as conn:
        payload = conn.execute(
            text("SELECT payload FROM ledger_events WHERE seq = 15")
        ).scalar_one()
    spaced = payload.replace(",", ", ")
    assert spaced != payload
    _raw(paged, "UPDATE ledger_events SET payload = :p WHERE seq = 15", p=spaced)
    report = verify(paged, SYSTEM)
    assert not report.ok
    assert any(
        p.kind == "ledger_cell_malformed" and p.object == "ledger_events#15.payload"
        for p in report.problems
    )


def test_the_pages_hold_every_event_once_in_order_and_leave_the_connection_free(
    paged: Store,
) -> None:
    """On PostgreSQL the next page is fetched by a thread while the caller checks this one:
    every event still comes once and in order, in the types the plain check expects, and a
    reader stopped in the middle leaves its connection free for the next statement."""
    from liuhen.services.archiving.queries.integrity import reading_ledger

    with reading_ledger(paged) as reading:
        pages = list(reading.pages())
        assert [len(p) for p in pages[:-1]] == [4] * (len(pages) - 1)
        seqs = [row[0] for page in pages for row in page]
        assert seqs == list(range(paged.event_count()))
        assert all(reading.plain_time(tuple(row)) is not None for page in pages for row in page)
        stopped = reading.pages()
        next(stopped)
        stopped.close()
        assert len(reading.heads()) == 1
