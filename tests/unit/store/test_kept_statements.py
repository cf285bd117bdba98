"""``store/queries/binds.Kept``: statements kept by shape, built once, the oldest dropped."""

from __future__ import annotations

import threading

from liuhen.store.queries.binds import Kept


def test_a_kept_statement_is_built_once_and_the_oldest_goes_first() -> None:
    kept = Kept(size=2)
    built: list[str] = []

    def build(key: str) -> object:
        built.append(key)
        return object()

    first = kept.get("a", lambda: build("a"))
    assert kept.get("a", lambda: build("a")) is first
    kept.get("b", lambda: build("b"))
    kept.get("c", lambda: build("c"))  # a third shape: "a", the oldest made, goes
    assert len(kept) == 2
    assert kept.get("a", lambda: build("a")) is not first
    assert built == ["a", "b", "c", "a"]


def test_threads_share_a_small_keep_without_error() -> None:
    """Eight threads asking for more shapes than are kept, at once (the request threads)."""
    kept = Kept(size=4)
    errors: list[BaseException] = []

    def ask(n: int) -> None:
        try:
            for i in range(2000):
                key = (n + i) % 9
                assert kept.get(key, lambda key=key: ("statement", key)) == ("statement", key)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(kept) <= 4
