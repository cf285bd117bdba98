"""What the benchmarks share: the source file, the hashing-and-copy floor, fresh child
processes that time one pass each, the best/median/peak summary, the machine a figure was
measured on and a fresh PostgreSQL database of their own.

The floor is one read pass through the same ``DualHasher`` (SHA-256 + SM3) the blob store
uses, copying the bytes to a new file on the same filesystem and fsyncing it: the least any
durable, hashed store (or export) of the file can cost on this machine.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

MIB = 1024 * 1024
Result = dict[str, float | str]


def write_source(path: Path, size: int, *, head: bytes = b"") -> None:
    """``head`` then pseudo-random, incompressible-looking bytes (a random MiB stamped with a
    counter) up to ``size``, fsynced."""
    base = random.Random(1).randbytes(MIB)
    with open(path, "wb", buffering=0) as f:
        f.write(head)
        written, index = len(head), 0
        while written < size:
            block = (index.to_bytes(8, "little") + base[8:])[: size - written]
            f.write(block)
            written += len(block)
            index += 1
        os.fsync(f.fileno())


def floor_copy(source: BinaryIO, target: Path) -> tuple[float, str, int]:
    """Hash (SHA-256 + SM3) and copy ``source`` to ``target``, fsynced: (seconds, sha256, bytes)."""
    from liuhen.store.blobs.hashing import CHUNK_SIZE, DualHasher

    start = time.perf_counter()
    with open(target, "wb", buffering=0) as dst, DualHasher() as hasher:
        while chunk := source.read(CHUNK_SIZE):
            hasher.update(chunk)
            view = memoryview(chunk)
            while view:
                view = view[dst.write(view) :]
        os.fsync(dst.fileno())
        sha256, _ = hasher.hexdigests()
    return time.perf_counter() - start, sha256, hasher.size


def peak_rss_mib(pid: int | str = "self") -> float:
    """Peak resident memory (``VmHWM``) of a process, in MiB; includes the interpreter.

    Not ``ru_maxrss``: Linux carries that across ``execve``, so a child would report its
    parent's peak whenever the parent had grown larger.
    """
    found = _vm_hwm(pid)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if found is None else found


class ChildrenPeak:
    """The peak resident memory (``VmHWM``) of each child of this process while entered
    (``verify``'s helper), in MiB, sampled every ``every`` seconds: ``mib`` is their sum,
    to add to ``peak_rss_mib()``.

    Not ``RUSAGE_CHILDREN``'s ``ru_maxrss``: a child spawned by fork (or vfork) and exec
    starts with its parent's peak as its own, so it reports the parent's whenever the
    parent was larger. A child's growth in its last ``every`` seconds may be missed.
    """

    def __init__(self, every: float = 0.05) -> None:
        import threading

        self.every = every
        self.peaks: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ChildrenPeak:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def mib(self) -> float:
        return sum(self.peaks.values())

    def _sample(self) -> None:
        while True:
            for pid in _children():
                peak = _vm_hwm(pid)
                if peak is not None:
                    self.peaks[pid] = max(peak, self.peaks.get(pid, 0.0))
            if self._done.wait(self.every):
                return


def _children() -> list[int]:
    found: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            found += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _vm_hwm(pid: int | str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_child(script: str, *args: str) -> Result:
    """Run ``script --child ARGS`` in a fresh interpreter; its last stdout line is JSON."""
    command = [sys.executable, script, "--child", *args]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def summarise(results: dict[str, list[Result]]) -> dict[str, dict[str, float]]:
    """Best and median seconds and the peak memory of each mode."""
    return {
        mode: {
            "best": min(float(r["seconds"]) for r in rows),
            "median": statistics.median(float(r["seconds"]) for r in rows),
            "peak": max(float(r["peak_rss_mib"]) for r in rows),
        }
        for mode, rows in results.items()
    }


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def machine() -> dict[str, object]:
    """Where and when a figure was measured: CPUs, the load while it ran, Python."""
    import platform
    from datetime import UTC, datetime

    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "python": platform.python_version(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def fresh_postgres_database(url: str) -> str:
    """Drop and create the benchmark's own PostgreSQL database that ``url`` names (its name
    goes into DDL, so only ``[a-z0-9_]`` is taken); returns the name."""
    import re

    from sqlalchemy import create_engine, text

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit(f"--database-url: choose a database name of [a-z0-9_], not {name!r}")
    admin = create_engine(
        base.replace("postgresql://", "postgresql+psycopg://", 1) + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        admin.dispose()
    return name
