"""Failures that really happen: a full disk, a file-size limit, a process killed mid-ingest.

Each leaves either nothing or a complete blob, never a partial one under a key.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.integration.blobs.blobgen import GeneratedStream

from liuhen.errors import StorageError
from liuhen.store.blobs.local import LocalBlobStore

CHILD = Path(__file__).with_name("blobgen.py")


def run_child(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHILD), *args], capture_output=True, text=True, timeout=timeout
    )


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_disk_full_removes_the_partial_file_and_says_so(small_disk):
    store = LocalBlobStore(small_disk / "blobs")
    store.temp_dir.mkdir(parents=True)
    free_before = free_bytes(small_disk)

    with pytest.raises(StorageError) as caught:
        store.ingest(GeneratedStream(16 * 1024 * 1024))

    assert caught.value.message.startswith("磁盘空间不足")
    assert "请清理磁盘或扩容后重试" in caught.value.message
    assert list(store.temp_dir.iterdir()) == []
    assert list(store.iter_keys()) == []
    assert free_bytes(small_disk) == free_before  # the partial write gave its space back


def test_content_that_fits_after_a_disk_full_is_stored(small_disk):
    store = LocalBlobStore(small_disk / "blobs")
    with pytest.raises(StorageError):
        store.ingest(GeneratedStream(16 * 1024 * 1024))

    info = store.ingest(GeneratedStream(2 * 1024 * 1024))
    store.settle([info.sha256])  # as its row's commit would (lets the tmpfs unmount)

    assert info.created and list(store.iter_keys()) == [info.sha256]


def test_file_size_limit_is_reported_as_disk_full_and_leaves_nothing(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse the write with EFBIG (SIGXFSZ ignored)."""
    root = tmp_path / "blobs"

    result = run_child("fsize-limit", str(root), str(16 * 1024 * 1024), str(5 * 1024 * 1024))

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["error"] == "StorageError"
    assert outcome["message"].startswith("磁盘空间不足")
    assert list((root / "tmp").iterdir()) == []
    assert list(LocalBlobStore(root).iter_keys()) == []


def test_killed_ingest_leaves_no_blob_and_its_temp_file_is_cleaned_on_next_start(tmp_path):
    root = tmp_path / "blobs"
    store = LocalBlobStore(root)
    child = subprocess.Popen(
        [sys.executable, str(CHILD), "endless", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        temp_file = _wait_for_temp_file(store.temp_dir, min_size=4 * 1024 * 1024, child=child)
        assert store.cleanup_temp() == 0  # a running ingest keeps its temp file
        assert temp_file.exists()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stderr.close()  # type: ignore[union-attr]

    assert list(store.iter_keys()) == []
    assert not (root / "sha256").exists()
    assert store.cleanup_temp() == 1
    assert list(store.temp_dir.iterdir()) == []


def _wait_for_temp_file(temp_dir: Path, *, min_size: int, child: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read()  # type: ignore[union-attr]
        for path in temp_dir.glob("*") if temp_dir.exists() else []:
            if path.stat().st_size >= min_size:
                return path
        time.sleep(0.05)
    raise AssertionError("the child never started writing its temp file")
