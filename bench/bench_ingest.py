"""Blob ingest against its physical floor on this machine, measured in the same run.

    python bench/bench_ingest.py [--size-gib 1] [--dir PATH] [--runs 3]

Writes a file of pseudo-random data in --dir (default: a new temp dir), then ``--runs``
times each, alternating which goes first, in fresh child processes:

  floor   one read pass through the same ``DualHasher`` (SHA-256 + SM3) that ingest uses,
          copying the bytes to a new file on the same filesystem and fsyncing it: the least
          any durable, hashed store of this file can cost here;
  ingest  ``LocalBlobStore.ingest_path`` of the file into a fresh store on that filesystem.

Prints the best time of each, the ratio ingest/floor, throughput, and the peak memory of
each child (``ru_maxrss`` of the child process, which includes the Python interpreter),
then one JSON line with the same figures. The source file is read from the page cache in
both cases (it was just written), so the comparison is of the work, not of cold reads.
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
import time
from pathlib import Path

MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (same filesystem)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "SOURCE", "TARGET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        mode, source, target = args.child
        print(json.dumps(_child(mode, Path(source), Path(target))))
        return

    workdir = Path(tempfile.mkdtemp(prefix="liuhen-bench-", dir=args.dir))
    try:
        source = workdir / "source.bin"
        size = int(args.size_gib * 1024**3)
        _write_source(source, size)
        results: dict[str, list[dict[str, float | str]]] = {"floor": [], "ingest": []}
        for run in range(args.runs):
            order = ("floor", "ingest") if run % 2 == 0 else ("ingest", "floor")
            for mode in order:
                target = workdir / f"{mode}-{run}"
                results[mode].append(_run_child(mode, source, target))
                _remove(target)
        _report(size, results)
    finally:
        _remove(workdir)


def _child(mode: str, source: Path, target: Path) -> dict[str, float | str]:
    """One measured pass in this (fresh) process; seconds exclude interpreter start-up."""
    if mode == "floor":
        from liuhen.store.blobs.hashing import CHUNK_SIZE, DualHasher

        start = time.perf_counter()
        with (
            open(source, "rb") as src,
            open(target, "wb", buffering=0) as dst,
            DualHasher() as hasher,
        ):
            while chunk := src.read(CHUNK_SIZE):
                hasher.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[dst.write(view) :]
            os.fsync(dst.fileno())
            sha256, _ = hasher.hexdigests()
        seconds = time.perf_counter() - start
    else:
        from liuhen.store.blobs.local import LocalBlobStore

        start = time.perf_counter()
        sha256 = LocalBlobStore(target).ingest_path(source).sha256
        seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "sha256": sha256}


def _run_child(mode: str, source: Path, target: Path) -> dict[str, float | str]:
    command = [sys.executable, __file__, "--child", mode, str(source), str(target)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def _write_source(path: Path, size: int) -> None:
    """Pseudo-random, incompressible-looking bytes: a random MiB stamped with a counter."""
    base = random.Random(1).randbytes(MIB)
    with open(path, "wb", buffering=0) as f:
        written, index = 0, 0
        while written < size:
            block = (index.to_bytes(8, "little") + base[8:])[: size - written]
            f.write(block)
            written += len(block)
            index += 1
        os.fsync(f.fileno())


def _report(size: int, results: dict[str, list[dict[str, float | str]]]) -> None:
    digests = {r["sha256"] for rows in results.values() for r in rows}
    if len(digests) != 1:
        raise SystemExit(f"floor and ingest disagree on the digest: {sorted(digests)}")
    best = {mode: min(float(r["seconds"]) for r in rows) for mode, rows in results.items()}
    median = {
        mode: statistics.median(float(r["seconds"]) for r in rows) for mode, rows in results.items()
    }
    peak = {mode: max(float(r["peak_rss_mib"]) for r in rows) for mode, rows in results.items()}
    mib = size / MIB
    print(f"file: {mib:.0f} MiB, {len(results['floor'])} runs each, {os.cpu_count()} CPUs")
    for mode in ("floor", "ingest"):
        print(
            f"{mode:>6}: best {best[mode]:.2f} s ({mib / best[mode]:.0f} MiB/s), "
            f"median {median[mode]:.2f} s, peak RSS {peak[mode]:.0f} MiB"
        )
    ratio = best["ingest"] / best["floor"]
    print(f" ratio: ingest/floor = {ratio:.2f}")
    summary = {
        "benchmark": "blob_ingest",
        "size_bytes": size,
        "runs": len(results["floor"]),
        "cpus": os.cpu_count(),
        "floor_seconds": round(best["floor"], 3),
        "ingest_seconds": round(best["ingest"], 3),
        "floor_median_seconds": round(median["floor"], 3),
        "ingest_median_seconds": round(median["ingest"], 3),
        "ratio": round(ratio, 3),
        "floor_mib_per_s": round(mib / best["floor"], 1),
        "ingest_mib_per_s": round(mib / best["ingest"], 1),
        "floor_peak_rss_mib": round(peak["floor"], 1),
        "ingest_peak_rss_mib": round(peak["ingest"], 1),
        "memory_measure": "ru_maxrss of the child process (includes the interpreter)",
    }
    print(json.dumps(summary))


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
