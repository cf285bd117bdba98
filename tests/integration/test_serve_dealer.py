"""``liuhen serve --workers 2`` as operators run it: the parent process holds the listening
socket and hands each connection to the worker holding the fewest (``web/workers.py``).
Twenty browsers connecting at once are split ten and ten (uvicorn's shared socket gave one
worker all twenty in about half the page benchmark's runs); a connection that closes frees
its place; a worker killed is started again and serves; SIGTERM stops them all."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.blobs.nodes import wait_ready
from tests.witness_process import free_port

SRC = Path(__file__).resolve().parents[2] / "src"
pytestmark = pytest.mark.slow


def _workers(parent: int) -> list[int]:
    """The worker processes (multiprocessing's resource tracker is a child too)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return sorted(int(pid) for pid in children if _is_worker(int(pid)))


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _held(pids: list[int], port: int) -> list[int]:
    """How many established connections to ``port`` each of ``pids`` holds."""
    sockets = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cells = line.split()
        if cells[3] == "01" and int(cells[1].rsplit(":", 1)[1], 16) == port:
            sockets.add(f"socket:[{cells[9]}]")
    held = []
    for pid in pids:
        held.append(sum(1 for link in _links(pid) if link in sockets))
    return held


def _links(pid: int) -> list[str]:
    """What the open descriptors of ``pid`` point at (one closed meanwhile is left out)."""
    links = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:
            continue
    return links


def _connect(port: int, count: int) -> list[http.client.HTTPConnection]:
    """``count`` keep-alive connections opened at once, each having had one answer."""
    opened: list[http.client.HTTPConnection] = []
    together = threading.Barrier(count)
    lock = threading.Lock()

    def one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        together.wait()
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b'{"status":"ok"}'
        with lock:
            opened.append(conn)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(opened) == count
    return opened


def _settled(pids: list[int], port: int, total: int) -> None:
    """Wait until the workers hold ``total`` connections and the parent has heard of those
    that closed (a worker tells it as each closes)."""
    assert _until(lambda: sum(_held(pids, port)) == total)
    time.sleep(0.3)


def _until(check, seconds: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture
def served(tmp_path: Path, make_settings) -> Iterator[tuple[subprocess.Popen[bytes], int]]:  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise

    env = {**os.environ, "LIUHEN_DATA_DIR": str(tmp_path / "data"), "LIUHEN_ENV": "test"}
    for name in ("LIUHEN_DATABASE_URL", "LIUHEN_STORE_URL", "LIUHEN_REQUEST_THREADS"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    settings = make_settings(
        tmp_path / "data", env={k: v for k, v in env.items() if k.startswith("LIUHEN_")}
    )
    initialise(settings, admin_password="Admin-pass-2026")
    port = free_port()
    command = [sys.executable, "-m", "liuhen", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        wait_ready(proc, port)
        assert _until(lambda: len(_workers(proc.pid)) == 2)
        _settled(_workers(proc.pid), port, 0)  # wait_ready's connection, closed
        yield proc, port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_connections_are_dealt_evenly_and_a_dead_worker_comes_back(served):
    proc, port = served
    workers = _workers(proc.pid)
    first = _connect(port, 20)
    assert _held(workers, port) == [10, 10]
    assert _held([proc.pid], port) == [0]  # the parent passes them on and keeps none
    for conn in first[:6]:
        conn.close()  # six close, wherever they were: the next six fill the gaps
    _settled(workers, port, 14)
    refill = _connect(port, 6)
    assert _held(workers, port) == [10, 10] and len(refill) == 6

    os.kill(workers[0], signal.SIGKILL)
    again = _until(lambda: len(w := _workers(proc.pid)) == 2 and workers[0] not in w and w)
    assert again, "the killed worker was not started again"
    _settled(again, port, 10)  # the dead one's connections are gone
    later = _connect(port, 10)  # the new worker is dealt them until it holds its share
    assert sorted(_held(again, port)) == [10, 10]
    for conn in later:
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200


def test_sigterm_stops_the_parent_and_every_worker(served):
    proc, port = served
    workers = _workers(proc.pid)
    open_one = _connect(port, 1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(40) == 0
    assert not [pid for pid in workers if _is_worker(pid)]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    open_one[0].close()


def test_sigterm_to_the_whole_group_starts_no_worker_again(served):
    """systemd (``KillMode=control-group``) and ``timeout`` signal every process at once:
    the workers end as the parent does, and it does not take that for a crash."""
    proc, _ = served
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(40) == 0
    assert "重新启动" not in proc.stderr.read().decode()  # type: ignore[union-attr]
