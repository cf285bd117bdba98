"""Nodes of a cluster as an operator runs them: ``liuhen serve`` processes, each with its
own data directory holding the one signing key, on one PostgreSQL database and one SeaweedFS
bucket; and ``liuhen`` commands run beside them. Used by the tests that run a cluster
(``test_uploads_across_nodes``, ``test_cluster_load``)."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from liuhen.config import Settings

from .conftest import S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY

SRC = Path(__file__).resolve().parents[3] / "src"
START_TIMEOUT = 60.0


def s3_env(endpoint: str, name: str) -> dict[str, str]:
    """The settings of a store in the test bucket under a fresh prefix."""
    return {
        "LIUHEN_STORE_URL": f"s3://{S3_BUCKET}/{name}-{uuid.uuid4().hex[:8]}",
        "LIUHEN_S3_ENDPOINT": endpoint,
        "LIUHEN_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "LIUHEN_S3_SECRET_KEY": S3_SECRET_KEY,
    }


def node_env(settings: Settings, data_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a node (or command) on ``settings``; with ``data_dir``, a node of
    its own data directory with the first node's signing key installed there."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
    base["PYTHONPATH"] = os.pathsep.join([str(SRC), base.get("PYTHONPATH", "")])
    env = {**base, **settings.as_env(), **extra}
    if data_dir is not None:
        keys = data_dir / "keys"
        keys.mkdir(parents=True, exist_ok=True)
        shutil.copy2(settings.signing_key_path, keys / settings.signing_key_path.name)
        env["LIUHEN_DATA_DIR"] = str(data_dir)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], port: int, log: Path | None = None) -> subprocess.Popen[bytes]:
    """``liuhen serve`` on ``port`` (not waited for: ``wait_ready``); stderr to ``log``."""
    err = open(log, "wb") if log is not None else subprocess.PIPE  # noqa: SIM115
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "liuhen", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    finally:
        if log is not None:
            err.close()  # type: ignore[union-attr]


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path | None = None) -> None:
    """Return once the node's ``/healthz`` answers; fail with what it said if it exits."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                said = log.read_text() if log else proc.stderr.read().decode()  # type: ignore[union-attr]
                raise AssertionError(f"liuhen serve did not start: {said}") from None
            time.sleep(0.3)


@contextmanager
def running(envs: list[dict[str, str]], logs: Path | None = None) -> Iterator[list[int]]:
    """One node per environment, all started at once; their ports once every one answers.
    Stopped (SIGTERM, as systemd stops them) on leaving."""
    procs: list[subprocess.Popen[bytes]] = []
    ports = [free_port() for _ in envs]
    paths = [logs / f"node{n}.log" if logs is not None else None for n in range(len(envs))]
    try:
        for env, port, log in zip(envs, ports, paths, strict=True):
            procs.append(serve(env, port, log))
        for proc, port, log in zip(procs, ports, paths, strict=True):
            wait_ready(proc, port, log)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
