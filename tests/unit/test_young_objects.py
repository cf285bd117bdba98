"""``verify`` reads the ledger with fewer young collections (``young_objects``): the young
threshold raised while any reader runs, restored as it was after the last one, never
lowered."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from liuhen.services.archiving.integrity.young_objects import YOUNG, fewer_collections


@pytest.fixture(autouse=True)
def _thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_raised_within_and_restored_after() -> None:
    gc.set_threshold(700, 10, 10)
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_after_an_error() -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError
    assert gc.get_threshold() == (700, 10, 10)


def test_never_lowered() -> None:
    gc.set_threshold(YOUNG * 2, 10, 10)
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG * 2, 10, 10)


def test_overlapping_readers_restore_once_the_last_ends() -> None:
    gc.set_threshold(700, 10, 10)
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with fewer_collections():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with fewer_collections():
        thread.start()
        assert inside.wait(5)
    assert gc.get_threshold()[0] == YOUNG  # the other reader still runs
    release.set()
    thread.join(5)
    assert gc.get_threshold() == (700, 10, 10)


def test_verify_reads_the_ledger_with_the_young_threshold_raised(
    store: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liuhen.ledger.events import Actor
    from liuhen.services.archiving.integrity import verify
    from liuhen.store.event_rows import LedgerReading

    seen: list[int] = []
    pages = LedgerReading.pages

    def noted(self: LedgerReading, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold()[0])
        yield from pages(self, *args, **kwargs)

    monkeypatch.setattr(LedgerReading, "pages", noted)
    gc.set_threshold(700, 10, 10)
    assert verify(store, Actor.system("测试")).ok  # type: ignore[arg-type]
    assert seen and all(young == YOUNG for young in seen)
    assert gc.get_threshold() == (700, 10, 10)
