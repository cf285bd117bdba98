"""The ledger at scale: durable appends, inclusion proofs and ``verify`` over N events.

    python bench/bench_ledger.py [--events 100000] [--database-url URL] [--data-dir DIR]
                                 [--seconds 10] [--proofs 1000] [--threads 16] [--rebuild]
                                 [--checkpoint-ms N] [--verify-only] [--writes-only]
                                 [--jobs N] [--json]

**The store.** ``liuhen init``, then ``--events`` events appended in transactions of 5,000
by ``Tx.record_many`` (each event byte for byte what ``Tx.record`` writes one transaction
at a time: ``tests/integration/test_ledger_tiles.py`` shows it), every transaction signing
its checkpoint and storing its tiles as any write does. Kept in ``--data-dir`` (default: a
folder under the system's temporary directory named for the size and the database) and
reused while ``--events`` and the database are the same; PostgreSQL gets a database of its
own (the URL's, dropped and created on a build). Once built, the store is analysed
(``ANALYZE``) as a serving store is, so the planner chooses as it would there.

**What is measured**, on the built store:

  appends    one event per transaction, as the web's writes are (commit with fsync: SQLite
             WAL with ``synchronous=FULL``, PostgreSQL's defaults), for ``--seconds`` by 1
             and then by 4 writer processes at once: events per second;
  grouped    the same through the group commit (``store.record_view``, what every view,
             download and list shown goes through): ``--threads`` request threads in each
             of 1 and then 4 processes, each thread waiting for its event to be committed
             and signed over before it appends the next: events per second;
  writes     one-event write transactions (``store.transaction``, what every saved form
             goes through) by ``--threads`` request threads in each of 1 and then 4
             processes, each thread's block ending once its transaction is committed and
             signed over: the threads of a process share database transactions (the
             write group, on both databases): transactions per second;
  proof      ``inclusion_proof`` (the service ``liuhen ledger proof`` and the web call: the
             latest checkpoint, the event, the tiles its path needs, the path checked against
             the signed root) for ``--proofs`` random events in a fresh process: p50 and p99,
             and that process's peak RSS (flat whatever the size of the log). Each proof
             reads a random event and its leaf tile: at ten million events the p99 is
             whether those pages are in memory, PostgreSQL's ``shared_buffers`` (printed)
             or the page cache, which a VM's host may reclaim (docs/deployment.md);
  verify     ``liuhen verify`` of the whole store in a fresh process (``--jobs``: its
             processes; default verify's own choice): seconds per million events and peak
             RSS, the process's plus its helper's (the process that checks half the
             ledger), each sampled from ``VmHWM``.

Prints a table and, with ``--json``, one JSON object (``events``, ``appends_per_s_1``,
``appends_per_s_4``, ``grouped_appends_per_s_1``, ``grouped_appends_per_s_4``,
``write_tx_per_s_1``, ``write_tx_per_s_4``, ``proof_p50_ms``, ``proof_p99_ms``, ``verify_s_per_million``,
``verify_peak_rss_mib`` and the rest). Run it at 100,000, 1,000,000 and 10,000,000 events to
see how each figure grows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _floor import ChildrenPeak, fresh_postgres_database, machine, peak_rss_mib  # noqa: E402
from liuhen.config import Settings  # noqa: E402
from liuhen.ledger.events import Actor  # noqa: E402
from liuhen.services.admin.ledger import inclusion_proof  # noqa: E402
from liuhen.services.admin.setup import ensure_schema, initialise  # noqa: E402
from liuhen.services.archiving.integrity import record_verification, verify  # noqa: E402
from liuhen.store.database import refresh_statistics  # noqa: E402
from liuhen.store.store import Store  # noqa: E402
from liuhen.store.unit import Appended  # noqa: E402

SYSTEM = Actor.system("性能测试")
BATCH = 5000
MARKER = "bench-ledger.json"
FORMAT = 1


def _settings(data_dir: Path, url: str) -> Settings:
    env = {"LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_ENV": "test"}
    if url:
        env["LIUHEN_DATABASE_URL"] = url
    if os.environ.get("LIUHEN_CHECKPOINT_MS"):  # --checkpoint-ms (the children inherit it)
        env["LIUHEN_CHECKPOINT_MS"] = os.environ["LIUHEN_CHECKPOINT_MS"]
    return Settings.from_env(env)


def _event(i: int) -> Appended:
    """A reading event as the web writes them all day (a case viewed), with a payload."""
    return Appended(
        "case.viewed",
        "case",
        f"{i:032x}",
        case_id=None,
        payload={"page": "case", "view": i, "from": "/cases?page=3"},
    )


def build(data_dir: Path, url: str, events: int, rebuild: bool) -> float | None:
    """The store of ``events`` events (reused when built before); the build's seconds."""
    marker = {"format": FORMAT, "events": events, "db": url}
    path = data_dir / MARKER
    if not rebuild and path.exists():
        found = json.loads(path.read_text("utf-8"))
        if all(found.get(k) == v for k, v in marker.items()):
            ensure_schema(_settings(data_dir, url))  # built by an earlier version: upgraded
            if url and not found.get("analysed"):  # (SQLite: ``ensure_schema`` analyses)
                analyse(_settings(data_dir, url))
                path.write_text(json.dumps({**found, "analysed": True}), "utf-8")
            return found.get("build_seconds")  # type: ignore[no-any-return]
    shutil.rmtree(data_dir, ignore_errors=True)
    if url:
        fresh_postgres_database(url)
    settings = _settings(data_dir, url)
    started = time.perf_counter()
    initialise(settings, admin_password="Admin-pass-2026")
    store = Store.open(settings)
    try:
        written = store.event_count()
        while written < events:
            count = min(BATCH, events - written)
            with store.transaction(SYSTEM) as tx:
                tx.record_many([_event(written + i) for i in range(count)])
            written += count
            if written % (BATCH * 20) == 0 or written == events:
                rate = written / (time.perf_counter() - started)
                print(f"  {written} events ({rate:.0f}/s)", file=sys.stderr, flush=True)
    finally:
        store.close()
    seconds = round(time.perf_counter() - started, 1)
    analyse(settings)
    path.write_text(json.dumps({**marker, "build_seconds": seconds, "analysed": True}), "utf-8")
    return seconds


def analyse(settings: Settings) -> None:
    """Give the planner the statistics of the store as built, as a serving store has them
    (SQLite: ``liuhen init`` and the fixity job run ``ANALYZE``; PostgreSQL: autovacuum).
    A store measured without them hid a plan that read every tile a proof (CHANGELOG)."""
    store = Store.open(settings)
    try:
        if store.engine.dialect.name == "sqlite":
            refresh_statistics(store.engine)
        else:
            with store.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    finally:
        store.close()


# -- children -----------------------------------------------------------------------------


def _ready() -> float:
    """Tell the parent this child is ready (store open, one write done) and wait for the
    time every child starts at (sent once all are ready: on a loaded machine starting a
    process can take longer than any fixed margin)."""
    print("ready", flush=True)
    start_at = float(sys.stdin.readline())
    time.sleep(max(0.0, start_at - time.time()))
    return start_at


def child_append(data_dir: str, url: str, seconds: float) -> None:
    store = Store.open(_settings(Path(data_dir), url))
    try:
        with store.transaction(SYSTEM) as tx:  # warm: the tree's edge read once
            tx.record("ledger.checkpointed", subject_type="ledger", subject_id="bench")
        start_at = _ready()
        count, stop = 0, start_at + seconds
        while time.time() < stop:
            with store.transaction(SYSTEM) as tx:
                tx.record("case.viewed", subject_type="case", subject_id=f"w{os.getpid()}-{count}")
            count += 1
    finally:
        store.close()
    print(json.dumps({"count": count}))


def _view(store: Store, subject: str) -> None:
    store.record_view(SYSTEM, "case.viewed", subject_type="case", subject_id=subject)


def _write(store: Store, subject: str) -> None:
    with store.transaction(SYSTEM) as tx:
        tx.record("case.viewed", subject_type="case", subject_id=subject)


def child_threads(data_dir: str, url: str, seconds: float, threads: int, kind: str) -> None:
    """``threads`` request threads of one process, each appending one event after another,
    ``kind`` ``grouped``: through ``store.record_view`` (the group commit), ``writes``: in
    one-event write transactions (``store.transaction``; on SQLite the write group). Each
    waits until its event is committed and signed over, as a request waits to answer."""
    store = Store.open(_settings(Path(data_dir), url))
    append = _view if kind == "grouped" else _write
    counts = [0] * threads
    stop = 0.0

    def work(n: int) -> None:
        while time.time() < stop:
            append(store, f"{kind[0]}{os.getpid()}-{n}")
            counts[n] += 1

    try:
        append(store, "warm")
        stop = _ready() + seconds
        pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        batches = store.group_commit_batches if kind == "grouped" else store.write_group.batches
    finally:
        store.close()
    print(json.dumps({"count": sum(counts), "batches": batches}))


def child_verify(data_dir: str, url: str, jobs: str = "", mode: str = "") -> None:
    """``verify`` in this fresh process: wall and CPU seconds, and the peak RSS of this
    process plus its helper's (``peak_rss_mib``; each apart too). ``mode`` ``record``: an
    intact run is recorded (what a later ``since`` run continues from); ``since``: the run
    is ``--since-last``'s (``since``: the events it did not read again)."""
    store = Store.open(_settings(Path(data_dir), url))
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with ChildrenPeak() as children:
            started, cpu = time.perf_counter(), time.process_time()
            report = verify(
                store, SYSTEM, jobs=int(jobs) if jobs else None, since_last=mode == "since"
            )
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if mode == "record":
            record_verification(store, SYSTEM, report)
    finally:
        store.close()
    helpers_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    problems = [f"{p.kind} {p.object}" for p in report.problems[:5]]
    out = {"seconds": seconds, "cpu_seconds": cpu, "ok": report.ok, "problems": problems}
    own = peak_rss_mib()
    peaks = {
        "peak_rss_mib": own + children.mib,
        "process_peak_rss_mib": own,
        "children_peak_rss_mib": sorted(children.peaks.values(), reverse=True),
    }
    print(
        json.dumps(
            {
                **out,
                "children_cpu_seconds": helpers_cpu,
                "events": report.events,
                "since": report.since,
                **peaks,
            }
        )
    )


def _child(*args: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", *args]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def appends(
    data_dir: Path, url: str, writers: int, seconds: float, threads: int = 0, kind: str = ""
) -> float:
    """Durable appends per second by ``writers`` processes at once: one-event transactions
    one after another, or (``threads``) that many threads per process through the group
    commit (``kind`` "writes": through write transactions)."""
    kind = [kind or ("grouped" if threads else "append")]
    command = [sys.executable, __file__, "--child", *kind, str(data_dir), url, str(seconds)]
    extra = [str(threads)] if threads else []
    children = [
        subprocess.Popen(
            [*command, *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(writers)
    ]
    for child in children:  # every child has opened its store and written once
        assert child.stdout is not None and child.stdin is not None
        if child.stdout.readline().strip() != "ready":
            raise SystemExit("an appending process failed to start")
    start_at = time.time() + 0.5
    for child in children:
        assert child.stdin is not None
        child.stdin.write(f"{start_at}\n")
        child.stdin.flush()
    total = 0
    for child in children:
        out, _ = child.communicate()
        if child.returncode:
            raise SystemExit(f"an appending process failed ({child.returncode})")
        total += int(json.loads(out.strip().splitlines()[-1])["count"])
    return total / seconds


def child_proofs(data_dir: str, url: str, count: int, seed: int) -> None:
    """The proofs in a process of their own, as a server serves them: their times and the
    process's peak RSS (which must not grow with the log: ``store.tile_cache`` is bounded)."""
    times = proofs(Path(data_dir), url, count, seed)
    print(json.dumps({"times": times, "peak_rss_mib": peak_rss_mib()}))


def proofs(data_dir: Path, url: str, count: int, seed: int) -> list[float]:
    """Milliseconds of each of ``count`` inclusion proofs of random events."""
    store = Store.open(_settings(data_dir, url))
    try:
        size = int((store.latest_checkpoint() or {"tree_size": 0})["tree_size"])
        rng = random.Random(seed)
        times = []
        for _ in range(count):
            seq = rng.randrange(size)
            started = time.perf_counter()
            answer = inclusion_proof(store, SYSTEM, seq)
            times.append((time.perf_counter() - started) * 1000)
            if not answer["verified"]:
                raise SystemExit(f"the proof of event #{seq} did not verify")
        return times
    finally:
        store.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))], 3)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, *rest = sys.argv[2:]
        if kind == "append":
            child_append(rest[0], rest[1], float(rest[2]))
        elif kind in ("grouped", "writes"):
            child_threads(rest[0], rest[1], float(rest[2]), int(rest[3]), kind)
        elif kind == "proofs":
            child_proofs(rest[0], rest[1], int(rest[2]), int(rest[3]))
        else:
            child_verify(*rest)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--data-dir", default="", help="where the store is kept between runs")
    parser.add_argument("--seconds", type=float, default=10, help="of each append run")
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument(
        "--threads", type=int, default=16, help="request threads per writer (grouped appends)"
    )
    parser.add_argument(
        "--checkpoint-ms",
        type=int,
        default=0,
        help="LIUHEN_CHECKPOINT_MS of the appending processes (0: a checkpoint per commit)",
    )
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--verify-only", action="store_true", help="only verify the store: wall, CPU, peak RSS"
    )
    parser.add_argument(
        "--jobs", type=int, default=0, help="verify's processes (default: verify's own choice)"
    )
    parser.add_argument(
        "--writes-only",
        action="store_true",
        help="only the write transactions by 4 writer processes (write_tx_per_s_4)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    url = args.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    database = "postgresql" if url else "sqlite"
    data_dir = (
        Path(args.data_dir)
        if args.data_dir
        else (Path(tempfile.gettempdir()) / f"liuhen-bench-ledger-{database}-{args.events}")
    )
    if url:
        url_for_store = url.replace("postgresql://", "postgresql+psycopg://", 1)
    else:
        url_for_store = ""
    build_seconds = build(data_dir, url_for_store, args.events, args.rebuild)
    if args.checkpoint_ms:
        os.environ["LIUHEN_CHECKPOINT_MS"] = str(args.checkpoint_ms)
    if args.writes_only:  # (alternated runs of two commits: the rest takes minutes)
        four = appends(data_dir, url_for_store, 4, args.seconds, args.threads, "writes")
        print(json.dumps({"database": database, "threads_per_writer": args.threads,
                          "write_tx_per_s_4": round(four, 1), **machine()}))  # fmt: skip
        return
    mode = "" if args.verify_only else "record"
    checked = _child("verify", str(data_dir), url_for_store, str(args.jobs or ""), mode)
    if args.verify_only:
        print(json.dumps({**checked, "load_average_1m": machine()["load_average_1m"]}))
        return
    if not checked["ok"]:
        raise SystemExit(f"verify found problems in the built store: {checked['problems']}")
    served = _child("proofs", str(data_dir), url_for_store, str(args.proofs), str(args.seed))
    times = served["times"]
    one = appends(data_dir, url_for_store, 1, args.seconds)
    four = appends(data_dir, url_for_store, 4, args.seconds)
    grouped_one = appends(data_dir, url_for_store, 1, args.seconds, args.threads)
    grouped_four = appends(data_dir, url_for_store, 4, args.seconds, args.threads)
    writes_one = appends(data_dir, url_for_store, 1, args.seconds, args.threads, "writes")
    writes_four = appends(data_dir, url_for_store, 4, args.seconds, args.threads, "writes")
    since = _child("verify", str(data_dir), url_for_store, "", "since")
    if not since["ok"] or since["since"] is None:
        raise SystemExit(f"verify --since-last did not continue: {since['problems']}")
    events = int(checked["events"])
    result = {
        "benchmark": "ledger",
        "database": database,
        "events": events,
        "appends_per_s_1": round(one, 1),
        "appends_per_s_4": round(four, 1),
        "grouped_appends_per_s_1": round(grouped_one, 1),
        "grouped_appends_per_s_4": round(grouped_four, 1),
        "write_tx_per_s_1": round(writes_one, 1),
        "write_tx_per_s_4": round(writes_four, 1),
        "threads_per_writer": args.threads,
        "checkpoint_ms": args.checkpoint_ms,
        "proof_p50_ms": _pct(times, 50),
        "proof_p99_ms": _pct(times, 99),
        "proof_mean_ms": round(statistics.fmean(times), 3),
        "proof_peak_rss_mib": round(served["peak_rss_mib"], 1),
        "verify_seconds": round(checked["seconds"], 2),
        "verify_s_per_million": round(checked["seconds"] / events * 1_000_000, 2),
        "verify_peak_rss_mib": round(checked["peak_rss_mib"], 1),
        "verify_cpu_seconds": round(checked["cpu_seconds"], 2),
        "verify_helper_cpu_seconds": round(checked["children_cpu_seconds"], 2),
        "verify_process_peak_rss_mib": round(checked["process_peak_rss_mib"], 1),
        "since_last_new_events": since["events"] - since["since"],
        "since_last_seconds": round(since["seconds"], 2),
        "since_last_peak_rss_mib": round(since["peak_rss_mib"], 1),
        "build_seconds": build_seconds,
        **machine(),
    }
    if url:
        result["postgres_shared_buffers"] = _shared_buffers(url_for_store)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{database}, {events} events (built in {build_seconds} s)")
    print(f"appends/s, 1 writer:   {result['appends_per_s_1']}")
    print(f"appends/s, 4 writers:  {result['appends_per_s_4']}")
    print(
        f"grouped appends/s:     1 writer {result['grouped_appends_per_s_1']}, "
        f"4 writers {result['grouped_appends_per_s_4']} ({args.threads} threads each)"
    )
    print(
        f"write transactions/s:  1 writer {result['write_tx_per_s_1']}, "
        f"4 writers {result['write_tx_per_s_4']} ({args.threads} threads each)"
    )
    print(
        f"inclusion proof:       p50 {result['proof_p50_ms']} ms, "
        f"p99 {result['proof_p99_ms']} ms ({args.proofs} proofs; "
        f"the serving process's peak RSS {result['proof_peak_rss_mib']} MiB)"
    )
    print(
        f"verify:                {result['verify_seconds']} s "
        f"({result['verify_s_per_million']} s per million), "
        f"peak RSS {result['verify_peak_rss_mib']} MiB (with its helper's; "
        f"the process alone {result['verify_process_peak_rss_mib']} MiB)"
    )
    print(
        f"verify --since-last:   {result['since_last_seconds']} s over the "
        f"{result['since_last_new_events']} events the append runs wrote, "
        f"peak RSS {result['since_last_peak_rss_mib']} MiB"
    )
    print(f"load average (1 min): {result['load_average_1m']} on {result['cpus']} CPUs")
    if url:
        print(f"PostgreSQL shared_buffers: {result['postgres_shared_buffers']}")


def _shared_buffers(url: str) -> str:
    """The server's ``shared_buffers``: at ten million events the proofs' p99 depends on
    whether the ledger's pages are in PostgreSQL's own buffers (docs/deployment.md)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW shared_buffers")).scalar_one())
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
