"""Operations on the ledger itself that the concurrency tests race (module-level, so the
harness's processes can import them)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from liuhen.ledger.events import Actor
from liuhen.store.store import Store


def in_threads(work: Callable[[int], None], threads: int) -> None:
    """``work(n)`` in ``threads`` threads of this process at once; back when all are done."""
    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


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

    in_threads(read, threads)
    return sorted(seqs), store.group_commit_batches


def verify_or_write(store: Store, role: str, rounds: int, agency: str = "") -> str:
    """``verifier``: ``rounds`` times verify from the last recorded run (``--since-last``) and
    record the run; ``full``: the same in full; ``writer``: ``rounds`` × 10 one-event
    transactions; ``rows``: ``rounds`` × 3 cases opened in ``agency``. What each verifier found, one letter a round: ``c`` continued intact,
    ``f`` ran in full intact, ``x`` found a problem (and the first three)."""
    from liuhen.services.archiving.integrity import record_verification, verify

    actor = Actor.system("并发校验")
    found = ""
    for i in range(rounds):
        if role == "writer":
            for j in range(10):
                with store.transaction(actor) as tx:
                    tx.record("case.viewed", subject_type="case", subject_id=f"race-{i}-{j}")
            continue
        if role == "rows":  # cases opened: rows and the events that record them
            from tests.factories import make_case

            for j in range(3):
                make_case(store, agency, number=f"并发〔2026〕{i * 3 + j + 1}号")
            continue
        report = verify(store, actor, since_last=role == "verifier", caches=role == "full")
        found += "x" if not report.ok else "c" if report.since is not None else "f"
        if not report.ok:
            found += str([(p.kind, p.object, p.message) for p in report.problems[:3]])
        record_verification(store, actor, report)
    return found


def cases_from_threads(
    store: Store, agency: str, threads: int, each: int
) -> tuple[list[str], int, int, int]:
    """``threads`` threads of this process each open ``each`` cases in ``agency``, numbered
    from a pool half the size, so that threads here and in the other processes ask for the
    same numbers at once (the write group runs them in one transaction, each under its
    savepoint). (the numbers this process opened, the conflicts it was told of, its write
    batches, the units of work they committed)."""
    from liuhen.errors import Conflict
    from tests.factories import make_case

    opened: list[str] = []
    conflicts = 0
    lock = threading.Lock()

    def write(n: int) -> None:
        nonlocal conflicts
        for i in range(each):
            number = f"并发〔2026〕{(n * each + i) % (threads * each // 2) + 1}号"
            try:
                make_case(store, agency, number=number)
            except Conflict:
                with lock:
                    conflicts += 1
                continue
            with lock:
                opened.append(number)

    in_threads(write, threads)
    return opened, conflicts, store.write_group.batches, store.write_group.units


def rotate_amid_writes(store: Store, before: int) -> str:
    """Append ``before`` events one transaction each, then rotate the ledger's key (as
    ``liuhen ledger rotate-key`` beside a running server does); the new key's fingerprint."""
    from liuhen.services.admin.rotation import rotate_key

    for i in range(before):
        with store.transaction(Actor.system("并发")) as tx:
            tx.record("ledger.checkpointed", subject_type="ledger", subject_id=f"rotator-{i}")
    return str(rotate_key(store, Actor.system("轮换"))["new_fingerprint"])


def write_until_rotated(store: Store, after: int, seconds: float) -> str:
    """Append events one transaction each, with the key this store read at its opening,
    until the store signs with another (the rotation a racer recorded), then ``after``
    more; for ``seconds`` at most (a bound in time, not in writes: with the suite's files in
    memory a writer made 400 transactions before the rotating racer had rotated). The
    fingerprint it signs with in the end."""
    started = store.fingerprint
    left = after
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        with store.transaction(Actor.system("并发")) as tx:
            tx.record("ledger.checkpointed", subject_type="ledger", subject_id=f"writer-{i}")
        i += 1
        if store.fingerprint != started:
            left -= 1
            if not left:
                break
    return store.fingerprint


def rotate_or_write(store: Store, role: str, before_or_after: int, seconds: float = 0) -> str:
    """The rotation race's racers: one ``"rotate"`` (``rotate_amid_writes``), the others
    ``"write"`` (``write_until_rotated``)."""
    if role == "rotate":
        return rotate_amid_writes(store, before_or_after)
    return write_until_rotated(store, before_or_after, seconds)


def locked_writes_from_threads(
    store: Store, cases: list[str], threads: int, each: int
) -> tuple[int, list[str], int]:
    """``threads`` threads of this process each write ``each`` times, locking one of
    ``cases`` (in turn) and recording an event on it, as a service deciding on a case does:
    on PostgreSQL a batch of this process holds the ledger's head while its later units ask
    for cases that other processes' transactions hold while they wait for that head. (the
    writes committed, what failed, units that stepped out of their batch)."""
    done = 0
    failed: list[str] = []
    lock = threading.Lock()
    actor = Actor.system("并发加锁")

    def write(n: int) -> None:
        nonlocal done
        for i in range(each):
            case_id = cases[(n + i) % len(cases)]
            try:
                with store.transaction(actor) as tx:
                    tx.lock("cases", case_id)
                    tx.record(
                        "test.written", subject_type="case", subject_id=case_id, case_id=case_id
                    )
            except Exception as exc:  # noqa: BLE001 - counted and named: the test looks
                with lock:
                    failed.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            with lock:
                done += 1

    in_threads(write, threads)
    return done, failed, store.write_group.stepped_out
