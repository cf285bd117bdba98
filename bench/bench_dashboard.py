"""The supervision dashboard and the case list over 10,000 demo-scale cases.

    python bench/bench_dashboard.py [--cases 10000] [--seed 7] [--data-dir DIR [--reuse]]

Builds a fresh store (SQLite in ``--data-dir``, or PostgreSQL when ``LIUHEN_DATABASE_URL`` is
set), loads the demo, then ``--cases`` more cases varied from the demo's bundles: spread over
the last twelve months, four sections, twenty-four officers, with random late or missing AV
uploads and case files not yet formed, all in the demo township (the supervisor's agency). Cases are written through the bundle import's own
writer (``_write_case``, every row fingerprinted and on the ledger) in transactions of 500;
each case's summary is computed from the bundle in memory by the same code the cache uses
(``summarise_bundle``; the officer ids are the stored ones, so per-officer figures are right)
and stored with the import event's seq, so the dashboard starts from a fresh cache.

Then times, as the demo supervisor through the web app (TestClient, in process):

  dashboard   GET /dashboard (the whole page: summaries read, figures, SVG charts, HTML);
  api         GET /api/dashboard;
  list        GET /cases (every case, one row each);
  rebuild     ``summaries.compute`` of one stored case (median of 100): the cost per case
              when a change makes its summary stale.

Prints each time (best and median of ``--runs``) and one JSON line. ``--reuse`` measures
again on a store an earlier run left in ``--data-dir`` (no build).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from liuhen.config import Settings
from liuhen.demo.bulk import shifted, write_cases
from liuhen.demo.data import demo_bundles, township
from liuhen.demo.loader import load_demo
from liuhen.ledger.events import Actor
from liuhen.services.admin.setup import initialise
from liuhen.services.cases import summaries
from liuhen.store import tables as t
from liuhen.store.store import Store

SYSTEM = Actor.system("性能测试")
SECTIONS = ("综合行政执法队", "市场监管中队", "城建环保中队", "农业农村中队")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢"


def _vary(template: dict[str, Any], i: int, rng: random.Random) -> dict[str, Any]:
    bundle = shifted(template, -timedelta(weeks=rng.randrange(0, 22), days=rng.randrange(0, 3)))
    bundle["case"]["number"] = bundle["case"]["id"] = f"性能〔2026〕{i:05d}号"
    bundle["agency"] = {**township(), "unit": rng.choice(SECTIONS)}  # the supervisor's agency
    pair = rng.sample(range(24), 2)
    for officer, n in zip(bundle.get("officers", []), pair, strict=False):
        officer["name"] = SURNAMES[n] + "执法" + "甲乙"[n % 2]
        officer["certificate_number"] = f"1401009900{n:04d}"
    roll = rng.random()
    if roll < 0.15 and bundle.get("av_records"):
        av = rng.choice(bundle["av_records"])
        late = datetime.fromisoformat(av["segments"][-1]["end"]) + timedelta(hours=30)
        av["stored_at"] = late.isoformat()
    elif roll < 0.25 and bundle["case"].get("ended_at"):
        bundle.pop("case_file", None)
    return bundle


def build(store: Store, count: int, seed: int) -> float:
    rng = random.Random(seed)
    templates = [b for b in demo_bundles() if b.get("officers")]
    started = time.perf_counter()
    write_cases(
        store,
        SYSTEM,
        (_vary(rng.choice(templates), i, rng) for i in range(count)),
        note={"bench": True},
        progress=lambda done: print(f"  {done} cases", file=sys.stderr, flush=True),
    )
    return time.perf_counter() - started


def timed(fn: Any, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--reuse", action="store_true", help="measure the store in --data-dir")
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="liuhen-bench-dashboard-")
    env = {"LIUHEN_DATA_DIR": data_dir, "LIUHEN_ENV": "test"}
    if os.environ.get("LIUHEN_DATABASE_URL"):
        env["LIUHEN_DATABASE_URL"] = os.environ["LIUHEN_DATABASE_URL"]
    settings = Settings.from_env(env)
    build_s = 0.0
    if args.reuse:
        store = Store.open(settings)
        accounts = dict(
            line.split("\t", 1)
            for line in (settings.data_dir / "demo-accounts.txt").read_text("utf-8").splitlines()
            if "\t" in line
        )
        password = accounts["sunjd"].strip()
    else:
        initialise(settings, admin_password="Admin-pass-2026")
        store = Store.open(settings)
        password = load_demo(store, SYSTEM).accounts["sunjd"]
        database = settings.database_url.split(":")[0]
        print(f"building {args.cases} cases in {database} …", file=sys.stderr)
        build_s = build(store, args.cases, args.seed)

    from liuhen.web.app import create_app

    client = TestClient(create_app(settings, store=store), base_url="http://127.0.0.1")
    login = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert token is not None
    client.post(
        "/login",
        data={
            "username": "sunjd",
            "password": password,
            "csrf": token.group(1),
            "next": "/cases",
        },
    )

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])

    get("/dashboard")  # warm: templates compiled, profiles loaded
    dash = timed(lambda: get("/dashboard"), args.runs)
    api = timed(lambda: get("/api/dashboard"), args.runs)
    listing = timed(lambda: get("/cases"), max(1, args.runs // 2))
    with store.read() as conn:
        sample = [r[0] for r in conn.execute(select(t.cases.c.id).limit(100))]
    per_case = [timed(lambda c=c: summaries.compute(store, c), 1)[0] for c in sample]
    total = client.get("/api/dashboard").json()["total"]
    result = {
        "benchmark": "dashboard",
        "cases": total["cases"],
        "database": settings.database_url.split(":")[0],
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "python": platform.python_version(),
        "build_seconds": round(build_s, 1),
        "dashboard_best_seconds": round(dash[0], 3),
        "dashboard_median_seconds": round(dash[1], 3),
        "api_best_seconds": round(api[0], 3),
        "list_best_seconds": round(listing[0], 3),
        "list_median_seconds": round(listing[1], 3),
        "rebuild_one_case_median_seconds": round(statistics.median(per_case), 4),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(
        f"cases on the dashboard: {total['cases']} (violations {total['violations']}, "
        f"unreadable {total['unreadable_cases']})"
    )
    print(f"build (write + summaries): {build_s:.1f} s")
    print(f"dashboard page: best {dash[0]:.3f} s, median {dash[1]:.3f} s")
    print(f"dashboard API:  best {api[0]:.3f} s, median {api[1]:.3f} s")
    print(f"case list page: best {listing[0]:.3f} s, median {listing[1]:.3f} s")
    print(f"rebuild one stale summary: median {statistics.median(per_case) * 1000:.1f} ms")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(json.dumps(result, ensure_ascii=False))
    store.close()


if __name__ == "__main__":
    main()
