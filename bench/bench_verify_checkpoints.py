"""``verify``'s memory and time by the number of signed checkpoints, against a floor.

    python bench/bench_verify_checkpoints.py [--events 100000] [--database-url URL]
                                             [--data-dir DIR] [--json]

Builds two stores of ``--events`` events each (kept in ``--data-dir`` and reused):

  each    one write transaction an event, one after another, each signing its checkpoint
          (the most checkpoints a ledger can have: one an event);
  floor   the bench_ledger store, the same number of events appended 5,000 a transaction
          (a checkpoint a transaction: a handful);

and runs ``verify`` of each in a fresh process (one process, ``jobs=1``), printing seconds,
peak RSS and the ratio of ``each``'s peak RSS to the floor's: 1.0 when ``verify`` holds
nothing a checkpoint (issue 15: flat memory; before ``signed_index`` it held ~0.55 KB each,
1.5 at 100,000).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _floor import fresh_postgres_database  # noqa: E402
from bench_ledger import SYSTEM, _child, _settings, build  # noqa: E402
from liuhen.services.admin.setup import initialise  # noqa: E402
from liuhen.store.store import Store  # noqa: E402

MARKER = "checkpoint-each.json"


def build_each(data_dir: Path, url: str, events: int) -> None:
    """``events`` one-event write transactions (reused when built before)."""
    marker = {"events": events, "db": url}
    path = data_dir / MARKER
    if path.exists() and json.loads(path.read_text("utf-8")) == marker:
        return
    if url:
        fresh_postgres_database(url)
    settings = _settings(data_dir, url)
    initialise(settings, admin_password="Admin-pass-2026")
    store = Store.open(settings)
    started = time.perf_counter()
    try:
        for i in range(store.event_count(), events):
            with store.transaction(SYSTEM) as tx:
                tx.record("case.viewed", subject_type="case", subject_id=f"each-{i}")
            if i % 10_000 == 0:
                rate = i / (time.perf_counter() - started + 1e-9)
                print(f"  {i} transactions ({rate:.0f}/s)", file=sys.stderr, flush=True)
    finally:
        store.close()
    path.write_text(json.dumps(marker), "utf-8")


def _verify(data_dir: Path, url: str) -> dict[str, float]:
    found = _child("verify", str(data_dir), url, "1")
    if not found["ok"]:
        raise SystemExit(f"verify of {data_dir} found problems: {found['problems']}")
    return {"seconds": found["seconds"], "peak_rss_mib": found["peak_rss_mib"]}


def _second_database(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1] + "_each" if url else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = args.data_dir or Path(tempfile.gettempdir()) / f"liuhen-bench-cps-{args.events}"
    url = args.database_url
    build(root / "floor", url, args.events, rebuild=False)
    build_each(root / "each", _second_database(url), args.events)
    runs = {}
    for name, url_of in (("floor", url), ("each", _second_database(url)), ("floor2", url)):
        runs[name] = _verify(root / name.rstrip("2"), url_of)
    floor = min(runs["floor"]["peak_rss_mib"], runs["floor2"]["peak_rss_mib"])
    result = {
        "events": args.events,
        "database": "postgresql" if url else "sqlite",
        "floor_checkpoints": "a transaction of 5,000",
        "each_checkpoints": args.events,
        "floor_seconds": runs["floor"]["seconds"],
        "each_seconds": runs["each"]["seconds"],
        "floor_peak_rss_mib": floor,
        "each_peak_rss_mib": runs["each"]["peak_rss_mib"],
        "rss_ratio": round(runs["each"]["peak_rss_mib"] / floor, 3),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['database']}, {args.events} events, verify in one process")
    print(
        f"floor (a checkpoint per 5,000 events): {floor:.1f} MiB, {result['floor_seconds']:.2f} s"
    )
    print(
        f"each (a checkpoint per event): {result['each_peak_rss_mib']:.1f} MiB, "
        f"{result['each_seconds']:.2f} s"
    )
    print(f"ratio of peak RSS each/floor = {result['rss_ratio']}")


if __name__ == "__main__":
    main()
