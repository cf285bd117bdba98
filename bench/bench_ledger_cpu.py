"""``verify`` and inclusion proofs on a store the ledger bench built, with the CPU they cost
on both sides: the client's (``time.process_time()``) and the PostgreSQL backend's (user +
system from ``/proc/PID/stat``, read before its connection closes), for figures taken on a
shared machine, where wall time is the other processes' as much as the code's.

    python bench/bench_ledger_cpu.py verify DATA_DIR [URL]
    python bench/bench_ledger_cpu.py proofs DATA_DIR [URL] [N] [SEED]

``DATA_DIR`` and ``URL`` as ``bench_ledger.py --data-dir`` / ``--database-url`` built them
(``postgresql+psycopg://…``; none for SQLite). Prints one JSON line with the load average at
the start and the end.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from sqlalchemy import event  # noqa: E402

from bench_ledger import SYSTEM, _pct, _settings  # noqa: E402
from liuhen.services.admin.ledger import inclusion_proof  # noqa: E402
from liuhen.services.archiving.integrity import verify  # noqa: E402
from liuhen.store.store import Store  # noqa: E402


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    kind, data_dir = sys.argv[1], Path(sys.argv[2])
    url = sys.argv[3] if len(sys.argv) > 3 else ""
    store = Store.open(_settings(data_dir, url))
    backends: set[int] = set()
    if url:
        event.listen(
            store.engine, "connect", lambda dbapi, _r: backends.add(dbapi.info.backend_pid)
        )
        store.engine.dispose()  # every connection from here on is noted
    load = os.getloadavg()[0]
    out: dict[str, Any] = {"kind": kind}
    try:
        cpu = time.process_time()
        if kind == "verify":
            started = time.perf_counter()
            report = verify(store, SYSTEM)
            out.update(ok=report.ok, events=report.events, wall_s=time.perf_counter() - started)
        else:
            count = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
            rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 7)
            size = int((store.latest_checkpoint() or {"tree_size": 0})["tree_size"])
            times = []
            for _ in range(count):
                seq = rng.randrange(size)
                started = time.perf_counter()
                if not inclusion_proof(store, SYSTEM, seq)["verified"]:
                    raise SystemExit(f"the proof of event #{seq} did not verify")
                times.append((time.perf_counter() - started) * 1000)
            out.update(proofs=count, p50_ms=_pct(times, 50), p90_ms=_pct(times, 90))
            out.update(p99_ms=_pct(times, 99), mean_ms=round(sum(times) / count, 3))
        out["client_cpu_s"] = time.process_time() - cpu
        out["server_cpu_s"] = sum(_backend_cpu(pid) for pid in backends) if url else None
    finally:
        store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.update(peak_rss_mib=round(rss, 1), load_start=load, load_end=os.getloadavg()[0])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
