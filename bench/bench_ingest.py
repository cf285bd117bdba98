"""Blob ingest against its physical floor on this machine, measured in the same run.

    python bench/bench_ingest.py [--size-gib 1] [--dir PATH] [--runs 3]

Writes a file of pseudo-random data in --dir (default: a new temp dir), then ``--runs``
times each, alternating which goes first, in fresh child processes:

  floor   one read pass through the same ``DualHasher`` (SHA-256 + SM3) that ingest uses,
          copying the bytes to a new file on the same filesystem and fsyncing it: the least
          any durable, hashed store of this file can cost here;
  ingest  ``LocalBlobStore.ingest_path`` of the file into a fresh store on that filesystem.

Prints the best time of each, the ratio ingest/floor, throughput, and the peak memory of
each child (``VmHWM`` of the child process, which includes the Python interpreter),
then one JSON line with the same figures. The source file is read from the page cache in
both cases (it was just written), so the comparison is of the work, not of cold reads.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from _floor import (
    MIB,
    Result,
    floor_copy,
    peak_rss_mib,
    remove,
    run_child,
    summarise,
    write_source,
)


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
        write_source(source, size)
        results: dict[str, list[Result]] = {"floor": [], "ingest": []}
        for run in range(args.runs):
            order = ("floor", "ingest") if run % 2 == 0 else ("ingest", "floor")
            for mode in order:
                target = workdir / f"{mode}-{run}"
                results[mode].append(run_child(__file__, mode, str(source), str(target)))
                remove(target)
        _report(size, results)
    finally:
        remove(workdir)


def _child(mode: str, source: Path, target: Path) -> Result:
    """One measured pass in this (fresh) process; seconds exclude interpreter start-up."""
    if mode == "floor":
        with open(source, "rb") as src:
            seconds, sha256, _ = floor_copy(src, target)
    else:
        from liuhen.store.blobs.local import LocalBlobStore

        start = time.perf_counter()
        sha256 = LocalBlobStore(target).ingest_path(source).sha256
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mib": peak_rss_mib(), "sha256": sha256}


def _report(size: int, results: dict[str, list[Result]]) -> None:
    digests = {r["sha256"] for rows in results.values() for r in rows}
    if len(digests) != 1:
        raise SystemExit(f"floor and ingest disagree on the digest: {sorted(digests)}")
    figures = summarise(results)
    best = {mode: f["best"] for mode, f in figures.items()}
    median = {mode: f["median"] for mode, f in figures.items()}
    peak = {mode: f["peak"] for mode, f in figures.items()}
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
        "memory_measure": "VmHWM of the child process (includes the interpreter)",
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
