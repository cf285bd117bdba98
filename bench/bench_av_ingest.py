"""AV ingest through the HTTP upload and through ``import-av``, against the floor.

    python bench/bench_av_ingest.py [--size-gib 1] [--dir PATH] [--runs 2]
        [--store-url s3://bucket/prefix --s3-endpoint http://127.0.0.1:8333] [--no-announce]

Writes one source file in --dir (default: a new temp dir): a real short H.264 video (PyAV)
followed by an MP4 ``free`` box filled with pseudo-random bytes up to --size-gib, so the
probe reads it as footage and every byte is hashed and stored as with a camera's file.
Then, ``--runs`` times each, alternating the order, each on a fresh data directory:

  floor   one pass through ``DualHasher`` (SHA-256 + SM3) copying the file to the same
          filesystem, fsynced (``bench/_floor.py``), in a fresh child process;
  import  ``liuhen import-av DIR`` (the CLI entry point, in a fresh child process): probe,
          blob ingest, AV record and ledger events;
  http    a real ``liuhen serve`` process; the docking station's tus client (this process)
          creates the upload, announcing the file's SHA-256 as a station does (``sha256`` in
          the metadata, computed before the runs: a station has it from its manifest; not
          with ``--no-announce``, as a browser sends), and sends the file in one PATCH read
          from disk; timed from the creation request to the answer of the last PATCH,
          which includes the ingest.

Prints best and median seconds, the ratio of each to the floor, and peak memory: for the
floor and import, ``VmHWM`` of the child; for http, ``VmHWM`` of the server process. Also
the CPU seconds of each (median): the child's, or the server's plus the client's; with
``--store-pid PID`` (the object store's server, e.g. ``weed``) also the store's, since on
a shared machine its work competes for the same cores.

With ``--store-url s3://…`` (and ``--s3-endpoint``; credentials from ``LIUHEN_S3_ACCESS_KEY``
and ``LIUHEN_S3_SECRET_KEY``) import and http store into that S3 store, each run under its own
prefix, and the upload is staged in the bucket (``services.av.shared_uploads``): at the
content address when announced, so its completion is the promotion; else under
``staging/`` and copied. The floor stays the local hash-and-write pass, and a second one is
measured for the object store:

  s3floor one pass through ``DualHasher`` while the bytes go once into the bucket as a
          multipart upload of 16 MiB parts, in a fresh child: the least any hashed store of
          the file in that object store can cost, its server's work included (a SeaweedFS on
          the same cores is charged to the same machine).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _floor import MIB, Result, floor_copy, peak_rss_mib, remove, run_child, summarise, write_source

NAME = "DSJ-BENCH-0001_20261120090000.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--dir", type=Path, default=None, help="where to work (same filesystem)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--store-url", default=None, help="s3://bucket/prefix: store in S3")
    parser.add_argument("--s3-endpoint", default=None)
    parser.add_argument(
        "--no-announce", action="store_true", help="http: send no sha256 (a browser's upload)"
    )
    parser.add_argument("--store-pid", type=int, default=None, help="count this process's CPU")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "SOURCE", "TARGET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.store_url:
        S3.update(
            {
                "LIUHEN_STORE_URL": args.store_url.rstrip("/"),
                "LIUHEN_S3_ENDPOINT": args.s3_endpoint or "",
                "LIUHEN_S3_ACCESS_KEY": os.environ.get("LIUHEN_S3_ACCESS_KEY", "bench"),
                "LIUHEN_S3_SECRET_KEY": os.environ.get("LIUHEN_S3_SECRET_KEY", "bench"),
            }
        )
        os.environ.update(S3)  # the children read it
    if args.child:
        mode, source, target = args.child
        print(json.dumps(_child(mode, Path(source), Path(target))))
        return
    workdir = Path(tempfile.mkdtemp(prefix="liuhen-bench-av-", dir=args.dir))
    try:
        size = int(args.size_gib * 1024**3)
        source = workdir / "dock" / NAME
        source.parent.mkdir()
        _write_footage(source, size, workdir)
        announced = None if args.no_announce else _sha256(source)
        results: dict[str, list[Result]] = {"floor": [], "import": [], "http": []}
        if S3:
            results["s3floor"] = []
        for run in range(args.runs):
            order = ("floor", "import", "http") if run % 2 == 0 else ("http", "import", "floor")
            order = (*order, "s3floor") if S3 else order
            for mode in order:
                target = workdir / f"{mode}-{run}"
                if mode == "import":
                    _init(target)
                store_cpu = _cpu_seconds(args.store_pid)
                if mode == "http":
                    result = _http(source, target, announced)
                else:
                    result = run_child(__file__, mode, str(source), str(target))
                result["store_cpu"] = _cpu_seconds(args.store_pid) - store_cpu
                results[mode].append(result)
                remove(target)
        _report(size, results)
    finally:
        remove(workdir)


def _write_footage(path: Path, size: int, workdir: Path) -> None:
    from liuhen.media.synthetic import make_video, padding_box

    clip = make_video(
        workdir / "clip.mp4",
        seconds=2,
        width=160,
        height=120,
        creation_time=datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
    )
    video = clip.read_bytes()
    clip.unlink()
    header = video + padding_box(size - len(video))
    write_source(path, size, head=header)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


S3: dict[str, str] = {}
"""The S3 settings given on the command line (empty: the local store)."""


def _store(data: Path) -> dict[str, str]:
    """The settings of a run's store: the data dir, and its own prefix in S3 if asked."""
    out = {"LIUHEN_DATA_DIR": str(data), "LIUHEN_ENV": "test"}
    base = S3.get("LIUHEN_STORE_URL") or os.environ.get("LIUHEN_STORE_URL")
    if base:
        keep = ("LIUHEN_S3_ENDPOINT", "LIUHEN_S3_ACCESS_KEY", "LIUHEN_S3_SECRET_KEY")
        out |= {k: S3.get(k) or os.environ.get(k, "") for k in keep}
        out["LIUHEN_STORE_URL"] = f"{base}/{data.parent.name}-{data.name}"
    return out


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
    return {**env, **_store(data)}


def _init(data: Path) -> str:
    """An initialised data dir with a custodian and a station token (returned)."""
    from liuhen.config import Settings
    from liuhen.ledger.events import Actor
    from liuhen.services.admin.agency import create_agency
    from liuhen.services.admin.setup import initialise
    from liuhen.services.admin.users import add_user
    from liuhen.services.av.stations import add_station
    from liuhen.store.store import Store

    settings = Settings.from_env(_store(data))
    initialise(settings, admin_password="Bench-pass-2026")
    store = Store.open(settings)
    system = Actor.system("基准测试")
    agency = create_agency(store, system, name="基准测试镇人民政府", profile_id="shanxi-township")
    add_user(  # import-av receives for the only agency; a station for its user's agency
        store,
        system,
        username="custodian",
        password="Bench-pass-2026",
        display_name="音像管理员",
        roles=["custodian"],
        agency_id=agency,
    )
    _, token = add_station(store, system, name="基准采集站", username="custodian")
    store.close()
    return token


def _cpu_seconds(pid: int | str | None = "self") -> float:
    """User + system CPU seconds of a process, all its threads (0 when no pid is given)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _child(mode: str, source: Path, target: Path) -> Result:
    """One measured pass in this (fresh) process; seconds exclude start-up and imports."""
    if mode == "floor":
        cpu = _cpu_seconds()
        with open(source, "rb") as src:
            seconds, sha256, _ = floor_copy(src, target)
        cpu = _cpu_seconds() - cpu
        return {"seconds": seconds, "cpu": cpu, "peak_rss_mib": peak_rss_mib(), "sha256": sha256}
    if mode == "s3floor":
        return _s3_floor(source)
    os.environ.update(_store(target))
    import contextlib
    import io

    import av  # noqa: F401  (imported before timing, as a running station would have it)

    from liuhen.cli import main as cli

    out = io.StringIO()
    cpu = _cpu_seconds()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        cli(["import-av", str(source.parent), "--json"])
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    report = json.loads(out.getvalue())
    [line] = report["files"]
    if line["status"] != "new":
        raise SystemExit(f"import-av did not store the file: {line}")
    peak = peak_rss_mib()
    return {"seconds": seconds, "cpu": cpu, "peak_rss_mib": peak, "sha256": line["sha256"]}


def _s3_floor(source: Path) -> Result:
    """The floor on S3: one read through ``DualHasher`` while the bytes go, once, into the
    bucket as a multipart upload of 16 MiB parts (as the uploads' are): the least any hashed
    store of the file in that object store can cost, its server's work included."""
    import uuid
    from urllib.parse import urlsplit

    from liuhen.store.blobs.hashing import DualHasher
    from liuhen.store.blobs.s3 import s3_client
    from liuhen.store.blobs.s3_staging import PART

    env = os.environ  # the parent put the S3 settings there
    url = urlsplit(env["LIUHEN_STORE_URL"])
    bucket, key = url.netloc, f"{url.path.strip('/')}/bench-floor/{uuid.uuid4().hex}"
    client = s3_client(
        env["LIUHEN_S3_ENDPOINT"],
        env["LIUHEN_S3_ACCESS_KEY"],
        env["LIUHEN_S3_SECRET_KEY"],
        "us-east-1",
    )
    cpu = _cpu_seconds()
    start = time.perf_counter()
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = []
    with open(source, "rb") as src, DualHasher() as hasher:
        while chunk := src.read(PART):
            hasher.update(chunk)
            number = len(parts) + 1
            sent = client.upload_part(
                Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=chunk
            )
            parts.append({"PartNumber": number, "ETag": sent["ETag"]})
        sha256, _ = hasher.hexdigests()
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
    )
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    client.delete_object(Bucket=bucket, Key=key)
    return {"seconds": seconds, "cpu": cpu, "peak_rss_mib": peak_rss_mib(), "sha256": sha256}


def _http(source: Path, data: Path, sha256: str | None) -> Result:
    from liuhen.services.av.upload_staging import encode_metadata

    token = _init(data)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "liuhen", "serve", "--port", str(port)],
        env=_env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(port, server)
        size = source.stat().st_size
        auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
        cpu = _cpu_seconds() + _cpu_seconds(server.pid)
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600, blocksize=MIB)
        meta = encode_metadata({"filename": source.name} | ({"sha256": sha256} if sha256 else {}))
        conn.request(
            "POST",
            "/api/uploads",
            headers={**auth, "Upload-Length": str(size), "Upload-Metadata": meta},
        )
        made = conn.getresponse()
        made.read()
        if made.status != 201:
            raise SystemExit(f"creation refused: {made.status}")
        headers = {
            **auth,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(size),
        }
        with open(source, "rb") as body:
            conn.request("PATCH", made.headers["Location"], body=body, headers=headers)
            done = conn.getresponse()
            done.read()
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() + _cpu_seconds(server.pid) - cpu
        if done.headers.get("LiuHen-Result") != "new":
            raise SystemExit(f"upload not stored: {done.status} {dict(done.headers)}")
        peak = peak_rss_mib(server.pid)
        sha256 = done.headers["LiuHen-SHA256"]
        return {"seconds": seconds, "cpu": cpu, "peak_rss_mib": peak, "sha256": sha256}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            if server.poll() is not None:
                raise SystemExit(server.stderr.read().decode() if server.stderr else "") from None
            time.sleep(0.2)
    raise SystemExit("server did not start")


def _report(size: int, results: dict[str, list[Result]]) -> None:
    digests = {r["sha256"] for rows in results.values() for r in rows}
    if len(digests) != 1:
        raise SystemExit(f"the modes disagree on the digest: {sorted(digests)}")
    figures = summarise(results)
    mib = size / MIB
    print(f"file: {mib:.0f} MiB, {len(results['floor'])} runs each, {os.cpu_count()} CPUs")
    for mode, f in figures.items():
        memory = "server VmHWM" if mode == "http" else "peak RSS"
        print(
            f"{mode:>6}: best {f['best']:.2f} s ({mib / f['best']:.0f} MiB/s), "
            f"median {f['median']:.2f} s, {memory} {f['peak']:.0f} MiB"
        )
    cpu = {m: statistics.median(float(r["cpu"]) for r in rows) for m, rows in results.items()}
    store = {
        m: statistics.median(float(r["store_cpu"]) for r in rows) for m, rows in results.items()
    }
    print(
        "   cpu: "
        + ", ".join(
            f"{m} {cpu[m]:.1f} s" + (f" + store {store[m]:.1f} s" if store[m] else "")
            for m in results
        )
        + " (median)"
    )
    floor = figures["floor"]["best"]
    print(
        f" ratio: import/floor = {figures['import']['best'] / floor:.2f}, "
        f"http/floor = {figures['http']['best'] / floor:.2f}"
    )
    if "s3floor" in figures:
        s3floor = figures["s3floor"]["best"]
        print(
            f" on S3: import/s3floor = {figures['import']['best'] / s3floor:.2f}, "
            f"http/s3floor = {figures['http']['best'] / s3floor:.2f}"
        )
    summary = {
        "benchmark": "av_ingest",
        "size_bytes": size,
        "runs": len(results["floor"]),
        "cpus": os.cpu_count(),
        **{f"{m}_seconds": round(f["best"], 3) for m, f in figures.items()},
        **{f"{m}_median_seconds": round(f["median"], 3) for m, f in figures.items()},
        "import_ratio": round(figures["import"]["best"] / floor, 3),
        "http_ratio": round(figures["http"]["best"] / floor, 3),
        **(
            {"http_s3floor_ratio": round(figures["http"]["best"] / figures["s3floor"]["best"], 3)}
            if "s3floor" in figures
            else {}
        ),
        **{f"{m}_peak_mib": round(f["peak"], 1) for m, f in figures.items()},
        **{f"{m}_cpu_seconds": round(c, 2) for m, c in cpu.items()},
        **{f"{m}_store_cpu_seconds": round(c, 2) for m, c in store.items()},
        "memory_measure": "VmHWM of the floor/import child and of the liuhen serve process",
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
