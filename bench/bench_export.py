"""Archive export of a case with large AV against its physical floor, in the same run.

    python bench/bench_export.py [--size-gib 1] [--dir PATH] [--runs 2]

Sets up a data directory (SQLite, local blob store) in --dir (default: a new temp dir) with
one case: an inspection, a text record with a stored text file, and an AV record whose one
segment is a --size-gib file of pseudo-random bytes ingested into the store. Then, ``--runs``
times each, alternating which goes first, in fresh child processes:

  floor   copy the stored AV blob to a new file on the same filesystem through the same
          ``DualHasher`` (SHA-256 + SM3) and fsync it: the least any export that hashes and
          copies the AV can cost here;
  export  ``liuhen.services.archive.export_package`` of the case: the AV and the text copied
          and hashed, the case-file PDF rendered, metadata, ledger excerpt with proofs, both
          manifests, fsynced and renamed into place;
  small   the same export of a second case whose AV segment is 1 MiB: the fixed cost of an
          export (PDF, ledger, manifests), and the memory an export needs whatever the AV.

Prints the best time of each, the ratio export/floor, throughput, the peak memory of each
child (``ru_maxrss``, which includes the interpreter and WeasyPrint), then one JSON line.
The stored blob is in the page cache in all cases (just written or read), so the comparison
is of the work, not of cold reads.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--dir", type=Path, default=None, help="where to work (same filesystem)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "DATA", "TARGET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        mode, data, target = args.child
        print(json.dumps(_child(mode, Path(data), Path(target))))
        return

    workdir = Path(tempfile.mkdtemp(prefix="liuhen-bench-export-", dir=args.dir))
    try:
        size = int(args.size_gib * 1024**3)
        data = workdir / "data"
        started = time.perf_counter()
        _setup(data, workdir, size)
        print(f"setup (ingest {size / MIB:.0f} MiB + 1 MiB): {time.perf_counter() - started:.1f} s")
        results: dict[str, list[dict[str, float | str]]] = {"floor": [], "export": [], "small": []}
        for run in range(args.runs):
            order = ("floor", "export", "small") if run % 2 == 0 else ("small", "export", "floor")
            for mode in order:
                target = workdir / f"{mode}-{run}"
                results[mode].append(_run_child(mode, data, target))
                _remove(target)
        _report(size, results)
    finally:
        _remove(workdir)


def _settings(data: Path):  # type: ignore[no-untyped-def]
    from liuhen.config import Settings

    return Settings.from_env({"LIUHEN_DATA_DIR": str(data), "LIUHEN_ENV": "test"})


def _setup(data: Path, workdir: Path, size: int) -> None:
    """A data dir with two cases: "BIG" with a ``size`` AV segment, "SMALL" with 1 MiB."""
    from liuhen.ledger.events import Actor
    from liuhen.services.setup import initialise
    from liuhen.store.store import Store

    settings = _settings(data)
    initialise(settings, admin_password="Bench-pass-2026")
    store = Store.open(settings)
    actor = Actor.system("基准测试")
    try:
        for number, av_size in (("BIG", size), ("SMALL", MIB)):
            source = workdir / f"{number}.mp4"
            _write_source(source, av_size)
            _make_case(store, actor, workdir, number, source)
            source.unlink()
    finally:
        store.close()


def _make_case(store, actor, workdir: Path, number: str, video: Path) -> None:  # type: ignore[no-untyped-def]
    from liuhen.services.agency import add_device, add_officer, create_agency
    from liuhen.services.cases import open_case
    from liuhen.services.files import store_file
    from liuhen.services.records import AttachedFile, add_record, record_act

    agency = create_agency(
        store, actor, name=f"基准测试镇人民政府{number}", profile_id="shanxi-township"
    )
    officers = [
        add_officer(store, actor, agency_id=agency, name=n, certificate_no=f"{number}-{i}")
        for i, n in enumerate(("张三", "李四"))
    ]
    camera = add_device(
        store,
        actor,
        agency_id=agency,
        kind="body_camera",
        serial_no=f"DSJ-{number}",
        model="执法记录仪",
    )
    start = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    case = open_case(
        store,
        actor,
        agency_id=agency,
        number=f"基准〔2026〕{number}号",
        title="某店占道经营案",
        procedure="general",
        party={"kind": "organisation", "name": "某店"},
        opened_at=start,
    )
    act = record_act(
        store, actor, case_id=case, kind="inspection", started_at=start,
        ended_at=start + timedelta(minutes=30), place="老街1号", officer_ids=officers,
    )  # fmt: skip
    note = workdir / "笔录.txt"
    note.write_text("现场检查笔录：店外人行道堆放货架三组。", encoding="utf-8")
    text = store_file(store, actor, note)
    add_record(
        store, actor, case_id=case, act_id=act, kind="text", doc_kind="inspection_record",
        title="现场检查笔录",
        details={"made_at": (start + timedelta(minutes=30)).isoformat(), "officer_ids": officers},
        files=[AttachedFile(text.sha256, "笔录.txt", "text/plain; charset=utf-8")],
    )  # fmt: skip
    blob = store_file(store, actor, video)
    add_record(
        store, actor, case_id=case, act_id=act, kind="av", doc_kind="av", title="现场检查执法记录仪视频",
        details={
            "device_id": camera,
            "officer_id": officers[0],
            "segments": [
                {
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=30)).isoformat(),
                    "sha256": blob.sha256,
                    "file_name": video.name,
                }
            ],
            "stored_at": (start + timedelta(hours=2)).isoformat(),
            "retention": {"term": "case"},
        },
        files=[AttachedFile(blob.sha256, video.name, "video/mp4", role="segment")],
    )  # fmt: skip


def _child(mode: str, data: Path, target: Path) -> dict[str, float | str]:
    """One measured pass in this (fresh) process; seconds exclude start-up and imports."""
    from liuhen.ledger.events import Actor
    from liuhen.services.archive import export_package
    from liuhen.services.cases import find_case
    from liuhen.store.blobs.hashing import CHUNK_SIZE, DualHasher
    from liuhen.store.store import Store

    store = Store.open(_settings(data))
    actor = Actor.system("基准测试")
    number = "基准〔2026〕SMALL号" if mode == "small" else "基准〔2026〕BIG号"
    case_id = find_case(store, number)
    if mode == "floor":
        from liuhen.services.archive import case_record_files

        files, _ = case_record_files(store, case_id)
        sha = max(files, key=lambda f: f.size).sha256
        start = time.perf_counter()
        with (
            store.blobs.open(sha) as src,
            open(target, "wb", buffering=0) as dst,
            DualHasher() as hasher,
        ):
            while chunk := src.read(CHUNK_SIZE):
                hasher.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[dst.write(view) :]
            os.fsync(dst.fileno())
            hasher.hexdigests()
        seconds = time.perf_counter() - start
        copied = hasher.size
    else:
        import weasyprint  # noqa: F401  (imported before timing, as a running server has it)

        start = time.perf_counter()
        result = export_package(store, actor, case_id, target)
        seconds = time.perf_counter() - start
        copied = result.bytes
    store.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "bytes": copied}


def _run_child(mode: str, data: Path, target: Path) -> dict[str, float | str]:
    command = [sys.executable, __file__, "--child", mode, str(data), str(target)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


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
    best = {m: min(float(r["seconds"]) for r in rows) for m, rows in results.items()}
    median = {
        m: statistics.median(float(r["seconds"]) for r in rows) for m, rows in results.items()
    }
    peak = {m: max(float(r["peak_rss_mib"]) for r in rows) for m, rows in results.items()}
    mib = size / MIB
    print(f"AV: {mib:.0f} MiB, {len(results['floor'])} runs each, {os.cpu_count()} CPUs")
    for mode in ("floor", "export", "small"):
        rate = f" ({mib / best[mode]:.0f} MiB/s)" if mode != "small" else ""
        print(
            f"{mode:>6}: best {best[mode]:.2f} s{rate}, median {median[mode]:.2f} s, "
            f"peak RSS {peak[mode]:.0f} MiB"
        )
    ratio = best["export"] / best["floor"]
    print(
        f" ratio: export/floor = {ratio:.2f}; export - floor = {best['export'] - best['floor']:.2f} s"
    )
    print(
        f" memory: export of {mib:.0f} MiB AV uses {peak['export'] - peak['small']:+.0f} MiB vs a 1 MiB AV"
    )
    summary = {
        "benchmark": "archive_export",
        "av_bytes": size,
        "runs": len(results["floor"]),
        "cpus": os.cpu_count(),
        "floor_seconds": round(best["floor"], 3),
        "export_seconds": round(best["export"], 3),
        "small_export_seconds": round(best["small"], 3),
        "ratio": round(ratio, 3),
        "floor_mib_per_s": round(mib / best["floor"], 1),
        "export_mib_per_s": round(mib / best["export"], 1),
        "floor_peak_rss_mib": round(peak["floor"], 1),
        "export_peak_rss_mib": round(peak["export"], 1),
        "small_export_peak_rss_mib": round(peak["small"], 1),
        "memory_measure": "ru_maxrss of the child process (includes the interpreter and WeasyPrint)",
    }
    print(json.dumps(summary))


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
