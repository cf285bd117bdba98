"""``GroupCommit`` takes its batch once the writer holds the ledger's lock: what queued while
it waited goes in the same transaction; a batch that fails is written again one event at a
time, so only the bad event's request fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from liuhen.ledger.events import Actor
from liuhen.store.group_commit import GroupCommit, ReadEvent

READER = Actor(id="u1", label="读者", roles=("officer",))


def _event(subject: str) -> ReadEvent:
    return ReadEvent(READER, "case.viewed", "case", subject)


def _submit_all(
    commit: GroupCommit, subjects: list[str]
) -> tuple[dict[str, object], list[threading.Thread]]:
    """Submit each subject from a thread of its own (the first alone reaches the writer);
    the outcomes (seq or error) fill in as the threads end."""
    outcome: dict[str, object] = {}

    def one(subject: str) -> None:
        try:
            outcome[subject] = commit.submit(_event(subject))
        except ValueError as exc:
            outcome[subject] = exc

    threads = [threading.Thread(target=one, args=(s,)) for s in subjects]
    for thread in threads:
        thread.start()
        time.sleep(0.01)  # in order: the first reaches the writer alone
    return outcome, threads


def test_what_queues_while_the_writer_waits_for_the_lock_goes_in_its_batch() -> None:
    lock_free = threading.Event()
    sizes: list[int] = []
    next_seq = iter(range(1, 100))

    def write(take: Callable[[], list[ReadEvent]]) -> None:
        lock_free.wait(5)  # another process holds the ledger's head
        batch = take()
        sizes.append(len(batch))
        for event in batch:
            event.seq = next(next_seq)

    commit = GroupCommit(write)
    outcome, threads = _submit_all(commit, [f"c{n}" for n in range(6)])
    lock_free.set()
    for thread in threads:
        thread.join()
    commit.close()
    assert sizes == [6]  # one transaction: all six were queued when it got the lock
    assert sorted(outcome.values()) == [1, 2, 3, 4, 5, 6]  # type: ignore[type-var]


def test_a_failed_batch_is_written_again_one_by_one_and_only_the_bad_event_fails() -> None:
    lock_free = threading.Event()
    written: list[str] = []

    def write(take: Callable[[], list[ReadEvent]]) -> None:
        lock_free.wait(5)
        batch = take()
        if any(e.subject_id == "bad" for e in batch):
            raise ValueError("无法写入")
        for event in batch:
            written.append(event.subject_id)
            event.seq = len(written)

    commit = GroupCommit(write)
    outcome, threads = _submit_all(commit, ["a", "bad", "b"])
    lock_free.set()
    for thread in threads:
        thread.join()
    commit.close()
    assert isinstance(outcome["bad"], ValueError)
    assert sorted(written) == ["a", "b"] and {outcome["a"], outcome["b"]} == {1, 2}
    assert commit.batches == 2


def test_a_closed_commit_refuses_more_events() -> None:
    commit = GroupCommit(lambda take: None)
    commit.close()
    with pytest.raises(RuntimeError, match="closed"):
        commit.submit(_event("c1"))
