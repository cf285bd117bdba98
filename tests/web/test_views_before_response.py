"""A page is sent only once its view is on the ledger, and the request's thread is not held
while the view commits (``web/routing.py``): with one request thread, two pages whose views
cannot commit yet are both built, and neither is sent until the commit goes on; a view
whose commit fails fails its page (an error page in Chinese, nothing read)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from tests.helpers import web_login

from liuhen.web.app import create_app


def _views(store: Any) -> int:
    with store.read() as conn:
        sql = "SELECT count(*) FROM ledger_events WHERE action = 'case.viewed'"
        return int(conn.execute(text(sql)).scalar_one())


def _cases(store: Any, agency_id: str) -> list[tuple[str, str]]:
    """Two of the demo township's cases with a number: (id, number)."""
    sql = (
        "SELECT id, number FROM cases WHERE number IS NOT NULL AND agency_id = :a "
        "ORDER BY number LIMIT 2"
    )
    with store.read() as conn:
        return [(r.id, r.number) for r in conn.execute(text(sql), {"a": agency_id})]


@pytest.fixture
def one_thread(private_demo):  # type: ignore[no-untyped-def]
    store = private_demo.store
    app = create_app(replace(store.settings, request_threads=1), store=store)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        web_login(client, "sunjd", private_demo.accounts["sunjd"])
        yield store, client, private_demo.agency_id


def test_pages_are_built_while_their_views_wait_and_sent_after(one_thread, monkeypatch):
    store, client, agency_id = one_thread
    cases = _cases(store, agency_id)
    ids = [i for i, _ in cases]
    before = _views(store)
    gate = threading.Event()
    write = store._views._write  # the group commit's writer: held until the gate opens

    def held(take: Any) -> None:
        gate.wait(20)
        write(take)

    monkeypatch.setattr(store._views, "_write", held)
    answers: dict[str, Any] = {}

    def get(case_id: str) -> None:
        answers[case_id] = client.get(f"/cases/{case_id}")

    readers = [threading.Thread(target=get, args=(i,)) for i in ids]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 15
    while len(store._views._queue) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # both handlers ran in the one thread; their views wait in the queue
    assert len(store._views._queue) == 2, "the second page waited for the first one's commit"
    time.sleep(0.2)
    assert answers == {}, "a page was sent before its view was on the ledger"
    gate.set()
    for reader in readers:
        reader.join(20)
    assert [answers[i].status_code for i in ids] == [200, 200]
    assert all(number in answers[i].text for i, number in cases)
    assert _views(store) == before + 2


def test_a_page_whose_view_cannot_be_written_shows_an_error_and_nothing_read(
    one_thread, monkeypatch
):
    store, client, agency_id = one_thread
    (case_id, number), _ = _cases(store, agency_id)
    before = _views(store)

    def broken(take: Any) -> None:
        take()  # the batch taken, then its INSERT fails
        raise OperationalError("INSERT INTO ledger_events", {}, Exception("disk I/O error"))

    monkeypatch.setattr(store._views, "_write", broken)
    page = client.get(f"/cases/{case_id}")
    assert page.status_code >= 500 and "<html" in page.text
    assert number not in page.text and "Traceback" not in page.text
    assert "服务" in page.text or "数据库" in page.text
    monkeypatch.undo()
    assert _views(store) == before
    assert client.get(f"/cases/{case_id}").status_code == 200  # and the next one works
