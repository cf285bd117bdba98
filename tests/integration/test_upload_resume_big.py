"""A 2 GiB resumable upload to a real ``liuhen serve``, cut off twice, in constant memory.

The client is a raw socket: it starts a PATCH for the rest of the file and drops the
connection mid-body, twice, then asks the server (HEAD) how much arrived and goes on from
there. The file is a real short video followed by a 2 GiB ``free`` box of zeros, generated
on the fly, so the test writes no source file and the server stores real footage. Receiving
the 2 GiB may add at most 64 MB to the server's peak resident memory (VmHWM) as it stood
after the upload's POST (the app's own size grows with its features: 145 MB in all when this
test was written, about 200 with the pages added since), and never more than 256 MB.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.factories import make_user
from tests.helpers import SYSTEM
from tests.integration.blobs.nodes import wait_ready

from liuhen.media.synthetic import make_video, padding_box
from liuhen.services.av.upload_staging import encode_metadata

pytestmark = pytest.mark.slow

GIB = 1024**3
MIB = 1024**2
SIZE = 2 * GIB
MEMORY_LIMIT_MB = 256
GROWTH_LIMIT_MB = 64
SRC = Path(__file__).resolve().parents[2] / "src"


class Footage:
    """``video + padding_box + zeros`` of ``size`` bytes, readable from any offset."""

    def __init__(self, video: bytes, size: int) -> None:
        self.head = video + padding_box(size - len(video))
        self.size = size

    def chunks(self, start: int, stop: int, step: int = MIB) -> Iterator[bytes]:
        zeros = bytes(step)
        pos = start
        while pos < stop:
            if pos < len(self.head):
                piece = self.head[pos : min(stop, len(self.head), pos + step)]
            else:
                piece = zeros[: min(step, stop - pos)]
            yield piece
            pos += len(piece)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.chunks(0, self.size):
            digest.update(chunk)
        return digest.hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.fixture
def server(tmp_path: Path, make_settings: Any) -> Iterator[dict[str, Any]]:
    """An initialised data dir with a station token, and ``liuhen serve`` on it."""
    from liuhen.services.admin.setup import initialise
    from liuhen.services.av.stations import add_station
    from liuhen.store.store import Store

    env = {**os.environ, "LIUHEN_DATA_DIR": str(tmp_path / "data"), "LIUHEN_ENV": "test"}
    env.pop("LIUHEN_DATABASE_URL", None)
    env.pop("LIUHEN_STORE_URL", None)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    settings = make_settings(
        tmp_path / "data", env={k: v for k, v in env.items() if k.startswith("LIUHEN_")}
    )
    initialise(settings, admin_password="Admin-pass-2026")
    store = Store.open(settings)
    make_user(store, "custodian", "custodian", password="Custodian-pass-2026")
    _, token = add_station(store, SYSTEM, name="采集站一", username="custodian")
    store.close()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "liuhen", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_ready(proc, port)
        yield {"port": port, "token": token, "pid": proc.pid, "data": tmp_path / "data"}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def request(port: int, method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    response.read()
    return response


def send_patch(
    port: int, path: str, headers: dict[str, str], footage: Footage, start: int, cut_at: int | None
) -> http.client.HTTPResponse | None:
    """PATCH the rest of the file from ``start``; drop the connection after ``cut_at``."""
    length = footage.size - start
    sock = socket.create_connection(("127.0.0.1", port))
    head = [f"PATCH {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head += [f"Upload-Offset: {start}", "Content-Type: application/offset+octet-stream"]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    stop = cut_at if cut_at is not None else footage.size
    for chunk in footage.chunks(start, stop):
        sock.sendall(chunk)
    if cut_at is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()  # RST: the server sees the body end early
        return None
    response = http.client.HTTPResponse(sock)
    sock.settimeout(300)
    response.begin()
    response.read()
    sock.close()
    return response


def settled_offset(port: int, path: str, headers: dict[str, str]) -> int:
    """The offset once the server has let go of the cut-off request: an empty PATCH at the
    offset HEAD reports is answered 204 then, 423 (locked) while the old request still
    writes (a loaded machine can take seconds to notice the reset), as a tus client sees."""
    for _ in range(200):
        offset = int(request(port, "HEAD", path, headers).headers["Upload-Offset"])
        probe = request(
            port,
            "PATCH",
            path,
            {
                **headers,
                "Upload-Offset": str(offset),
                "Content-Length": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        if probe.status == 204:
            return offset
        assert probe.status in (409, 423), probe.status  # still held, or moved on meanwhile
        time.sleep(0.3)
    raise AssertionError("the upload stayed locked for a minute after its request was cut")


def test_a_2_gib_upload_cut_off_twice_resumes_to_the_right_hash_in_bounded_memory(
    server: dict[str, Any], tmp_path: Path
) -> None:
    clip = tmp_path / "DSJ-V9-0007_20261120090500.mp4"
    make_video(
        clip, seconds=1, width=96, height=64, creation_time=datetime.now(UTC) - timedelta(hours=1)
    )
    footage = Footage(clip.read_bytes(), SIZE)
    expected = footage.sha256()
    port = server["port"]
    auth = {"Authorization": f"Bearer {server['token']}", "Tus-Resumable": "1.0.0"}
    made = request(
        port,
        "POST",
        "/api/uploads",
        {
            **auth,
            "Upload-Length": str(SIZE),
            "Upload-Metadata": encode_metadata({"filename": clip.name}),
        },
    )
    assert made.status == 201, made.read()
    before = vm_hwm_mb(server["pid"])
    path = made.headers["Location"]
    offsets = []
    offset = 0
    for cut in (700 * MIB, 1500 * MIB):
        send_patch(port, path, auth, footage, offset, cut)
        offset = settled_offset(port, path, auth)
        offsets.append(offset)
        assert 0 < offset <= cut
    assert offsets[0] < offsets[1]
    for _ in range(20):  # the server may still hold the lock of the cut-off request
        done = send_patch(port, path, auth, footage, offset, None)
        assert done is not None
        if done.status != 423:
            break
        time.sleep(0.5)
    assert done.status == 204, done.headers
    assert done.headers["Upload-Offset"] == str(SIZE)
    assert done.headers["LiuHen-Result"] == "new"
    assert done.headers["LiuHen-SHA256"] == expected
    peak = vm_hwm_mb(server["pid"])
    print(f"server VmHWM {before:.0f} MB before and {peak:.0f} MB after a {SIZE // MIB} MiB upload")
    assert peak - before < GROWTH_LIMIT_MB and peak < MEMORY_LIMIT_MB
    blob = server["data"] / "blobs" / "sha256" / expected[:2] / expected[2:4] / expected
    assert blob.stat().st_size == SIZE
    assert not list((server["data"] / "uploads").glob("*.part"))
