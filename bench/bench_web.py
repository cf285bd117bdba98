"""Web pages under load: signed-in clients over a county-sized store, through a real server.

    python bench/bench_web.py [--cases 100000] [--clients 20] [--seconds 60]
                              [--database-url URL] [--data-dir DIR] [--rebuild]
                              [--workers N] [--think-ms MS] [--build-only] [--json]
                              [--cpu-per-kind N]

**The store.** ``--cases`` cases varied from the demo's bundles (as ``bench_dashboard.py``
does: eleven months, four sections, twenty-four officers, late AV and missing case files),
each with its own party (a person or a company, so a search finds a few cases, not an
eighth of them), one in ten with a demo officer on it (so 我的待办 and an officer's own
cases are not empty), all in the demo township. Cases are written by the bundle import's
own writer (``_write_case``: every row fingerprinted, one ``case.imported`` event each, a
signed checkpoint per transaction of 500) and their summaries stored, so the server starts
from a fresh cache. A store is built once and reused by later runs with the same
``--cases``, ``--seed`` and database (a marker file in the data directory says what it
holds; ``--rebuild`` builds it again). A PostgreSQL store is a copy, table by table and row
for row, of the SQLite store of the same size (built first if missing), with the same
signing key, blobs and checkpoint log: the bundle writer through PostgreSQL's round trips
would take hours, and the copy holds the same rows, fingerprints and ledger.

**The load.** ``liuhen serve`` in a child process on 127.0.0.1 (a free port), killed when
the run ends or after ``--seconds`` + 10 minutes at the latest. ``--clients`` threads of
this process, each with its own keep-alive connection, sign in through the login form
(GET /login, POST /login: the real Argon2 check) as one of the demo's people who need no
second factor (the supervisor, the section head, the two officers, the legal reviewer),
request each kind once untimed, then for ``--seconds`` request, back to back (or after a
pause of ``--think-ms`` on average, exponentially distributed, as people read a page before
they ask for the next):

  list       GET /cases?page=N          (a random page among the first ten)
  search     GET /cases?q=…             (a party's name, a title's words, a number's digits)
  case       GET /cases/{id}            (a random case the client may read)
  dashboard  GET /dashboard             (the supervisor and the section head only)
  inbox      GET /inbox                 (我的待办)
  download   GET /records/{id}/files/{n}?download=true   (a stored document of a demo case)

A request is an error unless it answers 200 with its whole body. Prints per kind and
overall the count, p50/p95/p99 and errors, the requests per second, the sign-in times and
the server's peak memory (VmHWM of its processes), its CPU seconds and how many of the
clients' connections each server process held (a browser keeps its connection: a process
that took more than its share serves more than its share); ``--json`` prints one JSON document
(``p95_ms``, ``rps``, ``errors``, ``kinds`` …) instead.

**CPU per request.** ``--cpu-per-kind N`` runs no load: one client asks N requests of each
kind in turn, and the server's own CPU time (``/proc``, all its threads: the group commit's
too) per request of each kind is printed. It is the figure to compare between versions on
a machine other work loads, where latency moves with the load.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from liuhen.config import Settings
from liuhen.demo.bulk import shifted, write_cases
from liuhen.demo.data import demo_bundles, township
from liuhen.demo.loader import load_demo
from liuhen.services.admin.setup import ensure_schema, initialise
from liuhen.store import tables as t
from liuhen.store.engine_copy import copy_sqlite_store
from liuhen.store.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from _floor import fresh_postgres_database, machine  # noqa: E402, I001
from bench_dashboard import SECTIONS, SURNAMES, SYSTEM  # noqa: E402, I001

MARKER = "bench-web.json"
BUILD_FORMAT = 1  # bump when the generated cases change
USERS = ("sunjd", "zhaokz", "zhangjg", "liming", "wangfang")  # no second factor needed
DASHBOARD_USERS = {"sunjd", "zhaokz"}
DEMO_OFFICERS = ("14010020230001", "14010020230002")  # zhangjg, liming
WEIGHTS = {"list": 20, "search": 20, "case": 20, "dashboard": 10, "inbox": 15, "download": 15}
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志刚海燕"
PLACES = ("东街", "西关", "南郊", "北坡", "河湾", "新村", "古城", "石桥", "柳林", "杏园")
TRADES = ("木材加工厂", "石料厂", "建材商店", "养殖场", "砖厂", "餐饮店", "运输队", "农资店")
KEYWORDS = ("占道经营", "堆放", "查封", "扣押", "非法开采", "整改复查", "施工扰民", "收购林木")


# -- building the store -------------------------------------------------------------------


def _party(rng: random.Random, i: int) -> str:
    if rng.random() < 0.5:
        return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    return f"示范县{rng.choice(PLACES)}{rng.choice(TRADES)}{i % 97 + 1}号"


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    if isinstance(value, str) and old and old in value:
        return value.replace(old, new)
    return value


def _vary(template: dict[str, Any], i: int, rng: random.Random) -> dict[str, Any]:
    """One case from a demo bundle: its own number, party, date, section and officers."""
    from datetime import timedelta

    bundle = shifted(template, -timedelta(weeks=rng.randrange(0, 46), days=rng.randrange(0, 7)))
    old_party = str(template.get("party", {}).get("name", ""))
    bundle = _replace(bundle, old_party, _party(rng, i))
    bundle["case"]["number"] = bundle["case"]["id"] = f"示镇综〔2026〕{i:06d}号"
    bundle["agency"] = {**township(), "unit": rng.choice(SECTIONS)}
    pair = rng.sample(range(24), 2)
    for officer, n in zip(bundle.get("officers", []), pair, strict=False):
        officer["name"] = SURNAMES[n] + "执法" + "甲乙"[n % 2]
        officer["certificate_number"] = f"1401009900{n:04d}"
    if bundle.get("officers") and rng.random() < 0.1:  # a demo officer's own case
        demo = bundle["officers"][0]
        demo["certificate_number"] = rng.choice(DEMO_OFFICERS)
    roll = rng.random()
    if roll < 0.15 and bundle.get("av_records"):
        av = rng.choice(bundle["av_records"])
        late = datetime.fromisoformat(av["segments"][-1]["end"]) + timedelta(hours=30)
        av["stored_at"] = late.isoformat()
    elif roll < 0.25 and bundle["case"].get("ended_at"):
        bundle.pop("case_file", None)
    return bundle


def build_cases(store: Store, count: int, seed: int) -> None:
    """``count`` cases through the bundle writer, their summaries stored beside them."""
    rng = random.Random(seed)
    templates = [b for b in demo_bundles() if b.get("officers")]
    started = time.perf_counter()

    def progress(done: int) -> None:
        rate = done / (time.perf_counter() - started)
        print(f"  {done} cases ({rate:.0f}/s)", file=sys.stderr, flush=True)

    bundles = (_vary(rng.choice(templates), i, rng) for i in range(count))
    write_cases(store, SYSTEM, bundles, note={"bench": True}, progress=progress)


def _marker(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    return {"format": BUILD_FORMAT, "cases": args.cases, "seed": args.seed, "db": database_url}


def _settings(data_dir: Path, database_url: str) -> Settings:
    env = {"LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_ENV": "test"}
    if database_url:
        env["LIUHEN_DATABASE_URL"] = database_url
    return Settings.from_env(env)


def _is_built(data_dir: Path, marker: dict[str, Any]) -> bool:
    path = data_dir / MARKER
    if not path.exists():
        return False
    found = json.loads(path.read_text("utf-8"))
    return all(found.get(k) == v for k, v in marker.items())


def build_sqlite(data_dir: Path, args: argparse.Namespace) -> None:
    marker = _marker(args, "")
    if _is_built(data_dir, marker) and not args.rebuild:
        return
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = _settings(data_dir, "")
    print(f"building {args.cases} cases in SQLite at {data_dir} …", file=sys.stderr)
    started = time.perf_counter()
    initialise(settings, admin_password="Admin-pass-2026")
    store = Store.open(settings)
    try:
        load_demo(store, SYSTEM)
        build_cases(store, args.cases, args.seed)
    finally:
        store.close()
    marker["build_seconds"] = round(time.perf_counter() - started, 1)
    (data_dir / MARKER).write_text(json.dumps(marker), "utf-8")
    del marker["build_seconds"]


def copy_to_postgres(source: Path, target: Path, url: str, args: argparse.Namespace) -> None:
    """The SQLite store in ``source``, row for row, into a fresh PostgreSQL database ``url``
    with a copy of its data directory (signing key, blobs, checkpoint log, accounts)."""
    marker = _marker(args, url)
    if _is_built(target, marker) and not args.rebuild:
        return
    started = time.perf_counter()
    name = fresh_postgres_database(url)
    print(f"copying the SQLite store into PostgreSQL database {name} …", file=sys.stderr)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("liuhen.sqlite3*", MARKER))
    settings = _settings(target, url)
    ensure_schema(settings)
    dst = Store.open(settings)
    try:
        copy_sqlite_store(source / "liuhen.sqlite3", dst.engine)
    finally:
        dst.close()
    marker["build_seconds"] = round(time.perf_counter() - started, 1)
    (target / MARKER).write_text(json.dumps(marker), "utf-8")


# -- what each client asks for ------------------------------------------------------------


def _accounts(settings: Settings) -> dict[str, str]:
    """Username → password from the demo's accounts file (username, password, name, roles)."""
    lines = (settings.data_dir / "demo-accounts.txt").read_text("utf-8").splitlines()
    fields = (line.split("\t") for line in lines if not line.startswith("#"))
    return {f[0]: f[1].strip() for f in fields if len(f) > 1}


def plan(settings: Settings, rng: random.Random) -> dict[str, dict[str, list[str]]]:
    """Per user: case ids they may read, search words, readable file URLs."""
    from liuhen.services.admin.users import find_user
    from liuhen.services.cases.queries.loaded import case_officers, load_cases
    from liuhen.services.permissions import visible

    store = Store.open(settings)
    try:
        with store.read() as conn:
            total = conn.execute(select(func.count()).select_from(t.cases)).scalar_one()
            cols = (t.cases.c.id, t.cases.c.agency_id, t.cases.c.section, t.cases.c.created_by)
            sample = [
                dict(r)
                for r in conn.execute(
                    select(*cols, t.cases.c.confidentiality, t.cases.c.number, t.cases.c.party)
                    .order_by(t.cases.c.id)
                    .offset(rng.randrange(max(1, total - 20000)))
                    .limit(20000)
                ).mappings()
            ]
            files = [
                (f"/records/{r.record_id}/files/{r.position}?download=true", r.case_id)
                for r in conn.execute(
                    select(
                        t.record_files.c.record_id, t.record_files.c.position, t.records.c.case_id
                    )
                    .join(t.records, t.records.c.id == t.record_files.c.record_id)
                    .where(t.record_files.c.role != "segment", t.records.c.case_id.is_not(None))
                )
            ]
        file_cases = load_cases(store, {c for _, c in files})  # the demo's, few
        officers = case_officers(store, [c["id"] for c in sample])
        for case in sample:
            case["officer_ids"] = sorted(officers.get(case["id"], ()))
        out: dict[str, dict[str, list[str]]] = {}
        for username in USERS:
            user = find_user(store, username)
            assert user is not None, username
            mine = visible(user.actor, "case.read", sample)
            may_read = {c["id"] for c in visible(user.actor, "case.read", file_cases)}
            words = [str(c["party"].get("name", "")) for c in rng.sample(mine, min(50, len(mine)))]
            words += [c["number"][-7:-1] for c in rng.sample(mine, min(20, len(mine)))]
            words += list(KEYWORDS)
            out[username] = {
                "cases": [c["id"] for c in mine],
                "words": [w for w in words if w],
                "files": [path for path, c in files if c in may_read],
            }
        return out
    finally:
        store.close()


def _paths(kind: str, todo: dict[str, list[str]], rng: random.Random) -> str:
    if kind == "list":
        return f"/cases?page={rng.randrange(1, 11)}"
    if kind == "search":
        return "/cases?" + urlencode({"q": rng.choice(todo["words"])})
    if kind == "case":
        return "/cases/" + rng.choice(todo["cases"])
    if kind == "dashboard":
        return "/dashboard"
    if kind == "inbox":
        return "/inbox"
    return rng.choice(todo["files"])


# -- the server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    settings: Settings, port: int, workers: int, limit: float
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LIUHEN_DATA_DIR": str(settings.data_dir), "LIUHEN_ENV": "test"}
    # Every client signs in from 127.0.0.1: the sign-in limit (per address, shared through
    # the database) would refuse a second run within its minute. The bench measures pages.
    env.setdefault("LIUHEN_SIGNIN_RATE_PER_MINUTE", "0")
    if not settings.is_sqlite:
        env["LIUHEN_DATABASE_URL"] = settings.database_url
    src = str(Path(__file__).resolve().parent.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "liuhen", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    log = open(settings.data_dir / "bench-server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        ["timeout", "--signal=TERM", "--kill-after=10", str(int(limit)), *command],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: see {settings.data_dir / 'bench-server.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("the server did not answer /healthz within 120 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _server_pids(server: subprocess.Popen[bytes]) -> list[int]:
    """The Python processes of the server's process group (uvicorn and its workers)."""
    pids = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.getpgid(int(pid)) == server.pid:
                if "python" in Path(f"/proc/{pid}/comm").read_text():
                    pids.append(int(pid))
        except (OSError, ProcessLookupError):
            continue
    return pids


def server_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system, all threads) the processes ``pids`` have used so far."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def connections(pids: list[int], port: int) -> list[int]:
    """How many of the clients' connections (established, to ``port``) each of ``pids``
    holds, most first: the supervisor holds none, each worker its share."""
    sockets: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cells = line.split()
            if cells[3] == "01" and int(cells[1].rsplit(":", 1)[1], 16) == port:
                sockets.add(f"socket:[{cells[9]}]")
    held = []
    for pid in pids:
        held.append(sum(1 for link in _links(pid) if link in sockets))
    return sorted((n for n in held if n), reverse=True)


def _links(pid: int) -> list[str]:
    """What the open descriptors of ``pid`` point at (one closed meanwhile is left out)."""
    links = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:
            continue
    return links


def cpu_per_kind(
    server: subprocess.Popen[bytes], port: int, accounts: dict[str, str], todo: Any, args: Any
) -> dict[str, float]:
    """The server's own CPU per request (ms) of each kind: one client (the supervisor, who
    may ask every kind) asks ``args.cpu_per_kind`` requests of a kind one after another,
    after 20 untimed; the /proc times of the server's processes before and after. CPU, not
    latency: on a machine other work loads, it is the figure that moves least. ``--cpu-as``
    names another of ``USERS`` (an officer's pages read their own cases)."""
    username = args.cpu_as
    rng = random.Random(args.seed)
    client = Client(port, username, accounts[username])
    client.sign_in()
    pids = _server_pids(server)
    out: dict[str, float] = {}
    for kind in _kinds(username, todo[username])[0]:
        for _ in range(20):
            client.request("GET", _paths(kind, todo[username], rng))
        before = server_cpu(pids)
        for _ in range(args.cpu_per_kind):
            status, _ = client.request("GET", _paths(kind, todo[username], rng))
            if status != 200:
                raise SystemExit(f"{kind}: HTTP {status}")
        out[kind] = round((server_cpu(pids) - before) / args.cpu_per_kind * 1000, 2)
    return out


def server_memory(server: subprocess.Popen[bytes]) -> float:
    """The sum of VmHWM (MiB) over the server's process group (uvicorn and its workers)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) != server.pid:
                continue
            status = Path(f"/proc/{pid}/status").read_text()
        except (OSError, ProcessLookupError):
            continue
        if "python" not in Path(f"/proc/{pid}/comm").read_text():
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return round(total / 1024, 1)


# -- the clients --------------------------------------------------------------------------


class Client:
    def __init__(self, port: int, username: str, password: str) -> None:
        self.port = port
        self.username = username
        self.password = password
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": self._cookie_header()} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # a keep-alive connection the server closed: once more
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or ():
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, data

    def sign_in(self) -> float:
        started = time.perf_counter()
        status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf" value="([^"]+)"', page)
        assert status == 200 and token is not None, status
        form = urlencode(
            {
                "username": self.username,
                "password": self.password,
                "csrf": token.group(1).decode(),
                "next": "/cases",
            }
        )
        status, _ = self.request("POST", "/login", form)
        if status != 303 or "liuhen_session" not in self.cookies:
            raise RuntimeError(f"sign-in of {self.username} failed: HTTP {status}")
        return time.perf_counter() - started


def _kinds(username: str, todo: dict[str, list[str]]) -> tuple[list[str], list[int]]:
    kinds = [k for k in WEIGHTS if k != "dashboard" or username in DASHBOARD_USERS]
    kinds = [k for k in kinds if k != "download" or todo["files"]]
    kinds = [k for k in kinds if k != "case" or todo["cases"]]
    return kinds, [WEIGHTS[k] for k in kinds]


def _own_cpu() -> float:
    """CPU seconds (user + system, all threads) this process has used so far."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def run_clients(
    port: int,
    accounts: dict[str, str],
    todo: dict[str, dict[str, list[str]]],
    args: Any,
    server: subprocess.Popen[bytes],
) -> tuple[dict[str, list[float]], dict[str, int], list[str], list[float], float, dict[str, Any]]:
    """Sign in, warm up, then request for ``args.seconds``: (times per kind, errors per kind,
    error samples, sign-in times, the measured window in seconds, and the CPU seconds the
    clients and the server used in it with the clients' connections each server process
    held)."""
    times: dict[str, list[float]] = {k: [] for k in WEIGHTS}
    errors: dict[str, int] = dict.fromkeys(WEIGHTS, 0)
    samples: list[str] = []
    logins: list[float] = []
    lock = threading.Lock()
    window: dict[str, Any] = {}
    pids: list[int] = []

    def open_window() -> None:  # runs once, as the last thread reaches the barrier
        pids.extend(_server_pids(server))  # every worker is up: each has answered
        halfway = threading.Timer(args.seconds / 2, count_connections)  # mid-run: a client
        halfway.daemon = True  # idle at the barrier for 5 s has had its connection closed
        halfway.start()
        window["clients_cpu"], window["server_cpu"] = _own_cpu(), server_cpu(pids)
        window["start"] = time.perf_counter()
        window["end"] = window["start"] + args.seconds

    def count_connections() -> None:
        window["connections"] = connections(pids, port)

    ready = threading.Barrier(args.clients + 1, action=open_window)

    def client(n: int) -> None:
        rng = random.Random(args.seed * 1000 + n)
        username = USERS[n % len(USERS)]
        mine = todo[username]
        kinds, weights = _kinds(username, mine)
        c = Client(port, username, accounts[username])
        try:
            took = c.sign_in()
            with lock:
                logins.append(took)
            for kind in kinds:  # warm-up, untimed
                c.request("GET", _paths(kind, mine, rng))
        except Exception as exc:  # noqa: BLE001  (reported, the run goes on)
            with lock:
                errors["sign_in"] = errors.get("sign_in", 0) + 1  # counted with the rest
                samples.append(f"{username} sign-in/warm-up: {exc!r}")
            ready.wait()
            return
        ready.wait()
        end = window["end"]
        while True:
            if args.think_ms:
                time.sleep(
                    min(rng.expovariate(1000 / args.think_ms), max(0, end - time.perf_counter()))
                )
            kind = rng.choices(kinds, weights)[0]
            path = _paths(kind, mine, rng)
            t0 = time.perf_counter()
            if t0 >= end:
                break
            try:
                status, body = c.request("GET", path)
                ok = status == 200 and len(body) > 0
                problem = f"HTTP {status} {path}: {body[:200]!r}"
            except Exception as exc:  # noqa: BLE001
                ok, problem = False, f"{path}: {exc!r}"
            took = time.perf_counter() - t0
            with lock:
                times[kind].append(took)
                if not ok:
                    errors[kind] += 1
                    if len(samples) < 10:
                        samples.append(f"{username} {problem}")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    for thread in threads:
        thread.join(args.seconds + 300)
    measured = time.perf_counter() - window["start"]
    cpu = {
        "clients": round(_own_cpu() - window["clients_cpu"], 1),
        "server": round(server_cpu(pids) - window["server_cpu"], 1),
        "connections": window.get("connections", []),
    }
    return times, errors, samples, logins, measured, cpu


# -- report -------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return round(ordered[index] * 1000, 1)


def _stats(values: list[float], errors: int) -> dict[str, Any]:
    return {
        "requests": len(values),
        "p50_ms": _pct(values, 50),
        "p95_ms": _pct(values, 95),
        "p99_ms": _pct(values, 99),
        "max_ms": round(max(values) * 1000, 1) if values else None,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--data-dir", default="", help="where the store is kept between runs")
    parser.add_argument("--rebuild", action="store_true", help="build the store again")
    parser.add_argument("--workers", type=int, default=0, help="liuhen serve --workers")
    parser.add_argument(
        "--think-ms", type=float, default=0, help="mean pause between a client's requests"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--build-only", action="store_true", help="build (or copy) the store, then stop"
    )
    parser.add_argument(
        "--cpu-per-kind",
        type=int,
        default=0,
        metavar="N",
        help="instead of the load: the server's CPU per request of each kind over N requests",
    )
    parser.add_argument(
        "--cpu-as",
        choices=USERS,
        default=USERS[0],
        help="with --cpu-per-kind: whose requests (default the supervisor)",
    )
    args = parser.parse_args()
    url = args.database_url
    if url.startswith("postgresql+psycopg://"):
        url = "postgresql://" + url.removeprefix("postgresql+psycopg://")
    root = Path(tempfile.gettempdir()) / "liuhen-bench-web"
    sqlite_dir = root / f"sqlite-{args.cases}-s{args.seed}"
    if args.data_dir and not url:
        sqlite_dir = Path(args.data_dir)
    build_sqlite(sqlite_dir, args)
    data_dir = sqlite_dir
    if url:
        data_dir = Path(args.data_dir) if args.data_dir else root / f"pg-{args.cases}-s{args.seed}"
        if (data_dir / "liuhen.sqlite3").exists():
            raise SystemExit(
                f"--data-dir {data_dir} holds a SQLite store; with --database-url it names the "
                "PostgreSQL store's data directory, which a build replaces: choose another"
            )
        copy_to_postgres(sqlite_dir, data_dir, url, args)
    settings = _settings(data_dir, url)
    ensure_schema(settings)  # a store built by an earlier version: bring it up to date
    store = Store.open(settings)
    try:
        store.build_tiles()  # as ``liuhen init`` does after an upgrade
    finally:
        store.close()
    if args.build_only:
        return
    marker = json.loads((data_dir / MARKER).read_text("utf-8"))
    rng = random.Random(args.seed)
    todo = plan(settings, rng)
    accounts = _accounts(settings)
    port = _free_port()
    server = start_server(settings, port, args.workers, args.seconds + 600)
    if args.cpu_per_kind:
        try:
            cpu = cpu_per_kind(server, port, accounts, todo, args)
        finally:
            stop_server(server)
        load = round(os.getloadavg()[0], 1)
        if args.json:
            print(
                json.dumps({"cpu_ms_per_request": cpu, "as": args.cpu_as, "load_average_1m": load})
            )
        else:
            print(
                f"server CPU per request (ms), as {args.cpu_as}: "
                + ", ".join(f"{k} {v}" for k, v in cpu.items())
            )
            print(f"load average (1 min): {load} on {os.cpu_count()} CPUs")
        return
    try:
        times, errors, samples, logins, measured, cpu = run_clients(
            port, accounts, todo, args, server
        )
        memory = server_memory(server)
    finally:
        stop_server(server)
    every = [x for values in times.values() for x in values]
    result: dict[str, Any] = {
        "benchmark": "web",
        "cases": args.cases,
        "database": "postgresql" if url else "sqlite",
        "clients": args.clients,
        "seconds": round(measured, 1),
        "workers": args.workers or 1,
        "think_ms": args.think_ms,
        **_stats(every, sum(errors.values())),
        "rps": round(len(every) / measured, 1),
        "kinds": {k: _stats(v, errors[k]) for k, v in times.items()},
        "sign_in_errors": errors.get("sign_in", 0),
        "sign_in": {
            "count": len(logins),
            "p50_ms": _pct(logins, 50),
            "max_ms": round(max(logins) * 1000, 1) if logins else None,
        },
        "server_peak_rss_mib": memory,
        "cpu_s": {k: cpu[k] for k in ("clients", "server")},
        "connections": cpu["connections"],
        "error_samples": samples,
        "build_seconds": marker.get("build_seconds"),
        **machine(),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(
        f"{result['database']}, {args.cases} cases, {args.clients} clients, {measured:.0f} s, "
        f"server workers: {result['workers']}, think time {args.think_ms:.0f} ms"
    )
    print(f"{'kind':<10} {'requests':>8} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'errors':>7}")
    rows = [*result["kinds"].items(), ("overall", result)]
    for kind, s in rows:
        cells = [
            f"{s[k]:>9.1f}" if s[k] is not None else f"{'-':>9}"
            for k in ("p50_ms", "p95_ms", "p99_ms")
        ]
        print(f"{kind:<10} {s['requests']:>8} {' '.join(cells)} {s['errors']:>7}")
    print(f"requests/s: {result['rps']}   errors: {result['errors']}")
    print(
        f"sign-in: {len(logins)} clients, p50 {result['sign_in']['p50_ms']} ms, "
        f"max {result['sign_in']['max_ms']} ms; server peak RSS {memory} MiB"
    )
    print(
        "connections a server process: "
        + (", ".join(map(str, cpu["connections"])) or "-")
        + f"; server CPU {cpu['server']} s, clients' {cpu['clients']} s"
    )
    for sample in samples:
        print(f"  error: {sample}")
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
