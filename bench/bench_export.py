"""Archive export of a case with large AV against its physical floor, in the same run.

    python bench/bench_export.py [--size-gib 1] [--dir PATH] [--runs 2]

Sets up a data directory (SQLite, local blob store) in --dir (default: a new temp dir) with
one case: an inspection, a text record with a stored text file, and an AV record whose one
segment is a --size-gib file of pseudo-random bytes ingested into the store. Then, ``--runs``
times each, alternating which goes first, in fresh child processes:

  floor   copy the stored AV blob to a new file on the same filesystem through the same
          ``DualHasher`` (SHA-256 + SM3) and fsync it: the least any export that hashes and
          copies the AV can cost here;
  export  ``liuhen.services.archiving.packages.export_package`` of the case: the AV and the text copied
          and hashed, the case-file PDF rendered, metadata, ledger excerpt with proofs, both
          manifests, fsynced and renamed into place;
  small   the same export of a second case whose AV segment is 1 MiB: the fixed cost of an
          export (PDF, ledger, manifests), and the memory an export needs whatever the AV.

Prints the best time of each, the ratio export/floor, throughput, the peak memory of each
child (``VmHWM``, which includes the interpreter and WeasyPrint), then one JSON line.
The stored blob is in the page cache in all cases (just written or read), so the comparison
is of the work, not of cold reads.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
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
        results: dict[str, list[Result]] = {"floor": [], "export": [], "small": []}
        for run in range(args.runs):
            order = ("floor", "export", "small") if run % 2 == 0 else ("small", "export", "floor")
            for mode in order:
                target = workdir / f"{mode}-{run}"
                results[mode].append(run_child(__file__, mode, str(data), str(target)))
                remove(target)
        _report(size, results)
    finally:
        remove(workdir)


def _settings(data: Path):  # type: ignore[no-untyped-def]
    from liuhen.config import Settings

    return Settings.from_env({"LIUHEN_DATA_DIR": str(data), "LIUHEN_ENV": "test"})


def _setup(data: Path, workdir: Path, size: int) -> None:
    """A data dir with two cases: "BIG" with a ``size`` AV segment, "SMALL" with 1 MiB."""
    from liuhen.ledger.events import Actor
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    settings = _settings(data)
    initialise(settings, admin_password="Bench-pass-2026")
    store = Store.open(settings)
    actor = Actor.system("基准测试")
    try:
        for number, av_size in (("BIG", size), ("SMALL", MIB)):
            source = workdir / f"{number}.mp4"
            write_source(source, av_size)
            _make_case(store, actor, workdir, number, source)
            source.unlink()
    finally:
        store.close()


def _make_case(store, actor, workdir: Path, number: str, video: Path) -> None:  # type: ignore[no-untyped-def]
    from liuhen.services.admin.agency import add_device, add_officer, create_agency
    from liuhen.services.cases.cases import open_case
    from liuhen.services.cases.files import store_file
    from liuhen.services.cases.records import AttachedFile, add_record, record_act

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


def _child(mode: str, data: Path, target: Path) -> Result:
    """One measured pass in this (fresh) process; seconds exclude start-up and imports."""
    from liuhen.ledger.events import Actor
    from liuhen.services.archiving.packages import export_package
    from liuhen.services.cases.cases import find_case
    from liuhen.store.store import Store

    store = Store.open(_settings(data))
    actor = Actor.system("基准测试")
    number = "基准〔2026〕SMALL号" if mode == "small" else "基准〔2026〕BIG号"
    case_id = find_case(store, number)
    if mode == "floor":
        from liuhen.services.archiving.packages import case_record_files

        files, _ = case_record_files(store, case_id)
        sha = max(files, key=lambda f: f.size).sha256
        with store.blobs.open(sha) as src:
            seconds, _, copied = floor_copy(src, target)
    else:
        import weasyprint  # noqa: F401  (imported before timing, as a running server has it)

        start = time.perf_counter()
        result = export_package(store, actor, case_id, target)
        seconds = time.perf_counter() - start
        copied = result.bytes
    store.close()
    return {"seconds": seconds, "peak_rss_mib": peak_rss_mib(), "bytes": copied}


def _report(size: int, results: dict[str, list[Result]]) -> None:
    figures = summarise(results)
    best = {m: f["best"] for m, f in figures.items()}
    median = {m: f["median"] for m, f in figures.items()}
    peak = {m: f["peak"] for m, f in figures.items()}
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
        "memory_measure": "VmHWM of the child process (includes the interpreter and WeasyPrint)",
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
