"""Ledger-touching writes a second through 1, 2 and 4 app processes on one database (issue 14).

    python bench/bench_writes.py [--database-url URL] [--processes 1,2,4] [--clients 8]
                                 [--seconds 20] [--data-dir DIR] [--json]

**The store.** Made afresh for each run: ``liuhen init`` (SQLite in ``--data-dir``, or the
PostgreSQL database the URL names, dropped and created first), one agency (shanxi-forestry)
and ``--clients`` officers, each with an account and a case of their own opened through the
service.

**The writes.** For each count P of ``--processes``: ``liuhen serve --workers P`` on a free
port (P app processes, each with its own connections to the one database, as the nodes of a
county share PostgreSQL); ``--clients`` threads of this process each sign in as their officer
(untimed) and then, for ``--seconds``, post the 记录执法环节 form to their own case back to
back on a keep-alive connection. Each post is one transaction: the act's row and its
``act.recorded`` event, the ledger's head, its tile and its signed checkpoint, committed
(fsync) before the answer. A write counts when it answers 303 (saved); anything else is an
error. Prints for each P the writes a second, p50/p95 ms and the errors, and the ratio to one
process; ``--json`` prints one JSON document (``runs``: ``processes``, ``writes_per_s``,
``ratio``, ``p50_ms``, ``p95_ms``, ``errors``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parent))
from _floor import fresh_postgres_database, machine  # noqa: E402
from bench_web import Client, _free_port, _pct, start_server, stop_server  # noqa: E402
from liuhen.config import Settings  # noqa: E402
from liuhen.ledger.events import Actor  # noqa: E402
from liuhen.services.admin.agency import add_officer, create_agency  # noqa: E402
from liuhen.services.admin.setup import initialise  # noqa: E402
from liuhen.services.admin.users import add_user  # noqa: E402
from liuhen.services.cases.cases import open_case  # noqa: E402
from liuhen.store.store import Store  # noqa: E402

SYSTEM = Actor.system("性能测试")
PASSWORD = "Officer-pass-2026"
CSRF = re.compile(rb'name="csrf" value="([^"]+)"')
TZ = ZoneInfo("Asia/Shanghai")


def build(data_dir: Path, url: str, clients: int) -> list[dict[str, str]]:
    """A fresh store with ``clients`` officers, each with an account and an open case."""
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {"LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_ENV": "test"}
    if url:
        fresh_postgres_database(url)
        env["LIUHEN_DATABASE_URL"] = url
    settings = Settings.from_env(env)
    initialise(settings, admin_password="Admin-pass-2026")
    store = Store.open(settings)
    try:
        agency = create_agency(store, SYSTEM, name="某县林业局", profile_id="shanxi-forestry")
        opened = store.clock() - timedelta(days=2)
        people = []
        for n in range(clients):
            officer = add_officer(
                store, SYSTEM, agency_id=agency, name=f"执法员{n}", certificate_no=f"1401{n:04d}"
            )
            user = add_user(
                store,
                SYSTEM,
                username=f"officer{n}",
                password=PASSWORD,
                display_name=f"执法员{n}",
                roles=["officer"],
                agency_id=agency,
                officer_id=officer,
            )
            case = open_case(
                store,
                user.actor,
                agency_id=agency,
                number="",
                title=f"某木材厂擅自改变林地用途案（{n}）",
                procedure="general",
                party={"kind": "organisation", "name": "某木材厂", "address": "东街1号"},
                opened_at=opened,
            )
            people.append({"username": f"officer{n}", "officer": officer, "case": case})
    finally:
        store.close()
    return people


def _act(person: dict[str, str], csrf: str, n: int) -> str:
    start = datetime.now(TZ) - timedelta(hours=20) + timedelta(seconds=n)
    return urlencode(
        {
            "kind": "inspection",
            "place": "东街1号",
            "started_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
            "officer_ids": person["officer"],
            "certificates_shown": "yes",
            "csrf": csrf,
        }
    )


def run(port: int, people: list[dict[str, str]], seconds: float) -> dict[str, Any]:
    """Every client signs in, then posts acts for ``seconds``: the figures of one run."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    window: dict[str, float] = {}

    def open_window() -> None:
        window["start"] = time.perf_counter()
        window["end"] = window["start"] + seconds

    ready = threading.Barrier(len(people) + 1, action=open_window)

    def client(person: dict[str, str]) -> None:
        c = Client(port, person["username"], PASSWORD)
        path = f"/cases/{person['case']}/acts/new"
        try:
            c.sign_in()
            status, page = c.request("GET", path)
            token = CSRF.search(page)
            assert status == 200 and token is not None, status
            csrf = token.group(1).decode()
        except Exception as exc:  # noqa: BLE001  (reported, the run goes on)
            with lock:
                errors.append(f"{person['username']} sign-in: {exc!r}")
            ready.wait()
            return
        ready.wait()
        n = 0
        while (t0 := time.perf_counter()) < window["end"]:
            try:
                status, body = c.request("POST", path, _act(person, csrf, n))
                problem = "" if status == 303 else f"HTTP {status}: {body[:200]!r}"
            except Exception as exc:  # noqa: BLE001
                problem = repr(exc)
            with lock:
                if problem:
                    errors.append(problem)
                else:
                    times.append(time.perf_counter() - t0)
            n += 1

    threads = [threading.Thread(target=client, args=(p,), daemon=True) for p in people]
    for thread in threads:
        thread.start()
    ready.wait()
    for thread in threads:
        thread.join(seconds + 300)
    measured = time.perf_counter() - window["start"]
    return {
        "writes": len(times),
        "writes_per_s": round(len(times) / measured, 1),
        "p50_ms": _pct(times, 50),
        "p95_ms": _pct(times, 95),
        "errors": len(errors),
        "error_samples": errors[:5],
        "seconds": round(measured, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--processes", default="1,2,4", help="app process counts to measure")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--data-dir", default="", help="the store's data directory")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    url = args.database_url
    if url.startswith("postgresql+psycopg://"):
        url = "postgresql://" + url.removeprefix("postgresql+psycopg://")
    data_dir = Path(args.data_dir or Path(tempfile.gettempdir()) / "liuhen-bench-writes")
    os.environ["LIUHEN_SIGNIN_RATE_PER_MINUTE"] = "0"  # every run signs all clients in again
    people = build(data_dir, url, args.clients)
    settings = Settings.from_env(
        {"LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_ENV": "test"}
        | ({"LIUHEN_DATABASE_URL": url} if url else {})
    )
    runs = []
    for processes in [int(p) for p in args.processes.split(",")]:
        port = _free_port()
        server = start_server(settings, port, processes, args.seconds + 600)
        try:
            runs.append({"processes": processes, **run(port, people, args.seconds)})
        finally:
            stop_server(server)
        print(f"  {processes} process(es): {runs[-1]['writes_per_s']}/s", file=sys.stderr)
    base = runs[0]["writes_per_s"] or 1
    for r in runs:
        r["ratio"] = round(r["writes_per_s"] / base, 2)
    result = {
        "benchmark": "writes",
        "database": "postgresql" if url else "sqlite",
        "clients": args.clients,
        "runs": runs,
        **machine(),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{result['database']}, {args.clients} clients posting acts, {args.seconds:.0f} s each")
    print(
        f"{'processes':>9} {'writes/s':>9} {'ratio':>6} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}"
    )
    for r in runs:
        print(
            f"{r['processes']:>9} {r['writes_per_s']:>9} {r['ratio']:>6} "
            f"{r['p50_ms'] or '-':>8} {r['p95_ms'] or '-':>8} {r['errors']:>7}"
        )
        for sample in r["error_samples"]:
            print(f"  error: {sample}")
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
