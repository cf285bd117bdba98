"""Operations on the ledger itself that the concurrency tests race (module-level, so the
harness's processes can import them)."""

from __future__ import annotations

import threading

from liuhen.ledger.events import Actor
from liuhen.store.store import Store


def views_from_threads(store: Store, threads: int, views: int) -> tuple[list[int], int]:
    """``threads`` readers in this process each record ``views`` views through the group
    commit; (every seq they were given, how many transactions wrote them)."""
    seqs: list[int] = []
    lock = threading.Lock()

    def read(n: int) -> None:
        actor = Actor(id=f"r{n}", label=f"读者{n}", roles=("officer",))
        for i in range(views):
            seq = store.record_view(
                actor, "case.viewed", subject_type="case", subject_id=f"race-{n}-{i}"
            )
            with lock:
                seqs.append(seq)

    pool = [threading.Thread(target=read, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sorted(seqs), store.group_commit_batches
