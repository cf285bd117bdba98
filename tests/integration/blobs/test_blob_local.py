"""The local blob store on a real directory: content addressing, read-back, integrity."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import stat
import tempfile
from pathlib import Path

import pytest

from liuhen.config import Settings
from liuhen.errors import ConfigError, InvalidInput, NotFound, StorageError
from liuhen.store.blobs import open_blob_store
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.blobs.local import LocalBlobStore
from liuhen.store.blobs.spool import TEMP_PREFIX, TEMP_SUFFIX

CONTENT = b"\x00\x01" + "执法记录仪 2024-06-11 现场检查".encode() * 5000


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def ingest_bytes(store: LocalBlobStore, data: bytes) -> BlobInfo:
    return store.ingest(io.BytesIO(data))


def test_ingest_stores_content_under_its_sha256_with_sm3_beside_it(blob_store):
    info = ingest_bytes(blob_store, CONTENT)

    sha256 = hashlib.sha256(CONTENT).hexdigest()
    assert info == BlobInfo(sha256, hashlib.new("sm3", CONTENT).hexdigest(), len(CONTENT), True)
    stored = blob_store.root / "sha256" / sha256[:2] / sha256[2:4] / sha256
    assert stored.read_bytes() == CONTENT
    marker = blob_store.root / "pending" / sha256  # until its row commits
    assert files_under(blob_store.root) == [marker, stored]
    blob_store.settle([sha256])
    assert files_under(blob_store.root) == [stored]
    assert blob_store.exists(sha256) and blob_store.size(sha256) == len(CONTENT)


def test_stored_files_are_read_only(blob_store):
    info = ingest_bytes(blob_store, CONTENT)

    mode = blob_store.path_for(info.sha256).stat().st_mode
    assert stat.S_IMODE(mode) == 0o444


def test_reingesting_identical_content_stores_nothing_new(blob_store):
    first = ingest_bytes(blob_store, CONTENT)
    before = {p: p.stat().st_mtime_ns for p in files_under(blob_store.root)}

    again = ingest_bytes(blob_store, CONTENT)

    assert again == BlobInfo(first.sha256, first.sm3, first.size, created=False)
    assert {p: p.stat().st_mtime_ns for p in files_under(blob_store.root)} == before
    assert list(blob_store.temp_dir.iterdir()) == []


def test_empty_content_is_a_blob_too(blob_store):
    info = ingest_bytes(blob_store, b"")

    assert info.sha256 == hashlib.sha256(b"").hexdigest() and info.size == 0
    assert blob_store.open(info.sha256).read() == b""


def test_progress_reports_every_byte_read_in_increments(blob_store):
    data = os.urandom(3 * 1024 * 1024 + 17)
    increments: list[int] = []

    blob_store.ingest(io.BytesIO(data), progress=increments.append)

    assert sum(increments) == len(data) and len(increments) == 4


def test_open_streams_back_the_stored_bytes(blob_store):
    info = ingest_bytes(blob_store, CONTENT)

    with blob_store.open(info.sha256) as f:
        assert f.read(10) == CONTENT[:10]
        assert f.read() == CONTENT[10:]


def test_read_range_returns_inclusive_slices_and_clamps_the_end(blob_store):
    data = os.urandom(2 * 1024 * 1024 + 5)
    info = ingest_bytes(blob_store, data)

    def read(start: int, end: int) -> bytes:
        return b"".join(blob_store.read_range(info.sha256, start, end))

    assert read(0, 0) == data[:1]
    assert read(10, 19) == data[10:20]
    assert read(1000, 2 * 1024 * 1024 + 2) == data[1000 : 2 * 1024 * 1024 + 3]
    assert read(len(data) - 3, len(data) + 1000) == data[-3:]


@pytest.mark.parametrize("start, end", [(-1, 5), (6, 5), (len(CONTENT), len(CONTENT) + 9)])
def test_read_range_outside_the_blob_is_invalid_input(blob_store, start, end):
    info = ingest_bytes(blob_store, CONTENT)

    with pytest.raises(InvalidInput):
        blob_store.read_range(info.sha256, start, end)


def test_rehash_detects_a_flipped_byte(blob_store):
    info = ingest_bytes(blob_store, CONTENT)
    assert blob_store.rehash(info.sha256) == (info.sha256, info.sm3, info.size)

    path = blob_store.path_for(info.sha256)
    path.chmod(0o644)  # tampering needs write access first
    with open(path, "r+b") as f:
        f.seek(1234)
        byte = f.read(1)
        f.seek(1234)
        f.write(bytes([byte[0] ^ 0x01]))

    sha256, sm3, size = blob_store.rehash(info.sha256)
    assert size == info.size
    assert sha256 != info.sha256 and sm3 != info.sm3


def test_reingest_refuses_to_overwrite_a_truncated_blob(blob_store):
    info = ingest_bytes(blob_store, CONTENT)
    path = blob_store.path_for(info.sha256)
    path.chmod(0o644)
    with open(path, "r+b") as f:
        f.truncate(100)

    with pytest.raises(StorageError, match="可能已被篡改"):
        ingest_bytes(blob_store, CONTENT)
    assert path.stat().st_size == 100  # the evidence of tampering is kept
    assert list(blob_store.temp_dir.iterdir()) == []


def test_iter_keys_lists_every_blob_in_ascending_order(blob_store):
    assert list(blob_store.iter_keys()) == []
    keys = {ingest_bytes(blob_store, f"第{i}份".encode()).sha256 for i in range(20)}
    (blob_store.root / "sha256" / "README").write_text("not a blob")

    assert list(blob_store.iter_keys()) == sorted(keys)


def test_delete_removes_a_blob_and_a_second_delete_is_not_found(blob_store):
    info = ingest_bytes(blob_store, CONTENT)
    blob_store.settle([info.sha256])

    blob_store.delete(info.sha256)

    assert not blob_store.exists(info.sha256)
    assert files_under(blob_store.root) == []
    with pytest.raises(NotFound):
        blob_store.delete(info.sha256)


def test_absent_blob_is_not_found_everywhere(blob_store):
    absent = hashlib.sha256(b"never stored").hexdigest()

    assert not blob_store.exists(absent)
    for call in (
        lambda: blob_store.size(absent),
        lambda: blob_store.open(absent),
        lambda: blob_store.read_range(absent, 0, 1),
        lambda: blob_store.rehash(absent),
    ):
        with pytest.raises(NotFound, match=absent):
            call()


@pytest.mark.parametrize("key", ["../../etc/passwd", "ABC", "A" * 64, "g" * 64, ""])
def test_malformed_keys_are_refused_before_touching_the_disk(blob_store, key):
    with pytest.raises(InvalidInput, match="SHA-256"):
        blob_store.exists(key)


def test_cleanup_temp_removes_stray_temp_files_but_not_ones_in_use(blob_store):
    blob_store.temp_dir.mkdir(parents=True)
    stray = blob_store.temp_dir / f"{TEMP_PREFIX}crashed{TEMP_SUFFIX}"
    stray.write_bytes(b"half a video")
    in_use = blob_store.temp_dir / f"{TEMP_PREFIX}running{TEMP_SUFFIX}"
    in_use.write_bytes(b"being written")
    other = blob_store.temp_dir / "not-ours.txt"
    other.write_text("left alone")

    with open(in_use, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # what a running ingest holds
        assert blob_store.cleanup_temp() == 1

    assert sorted(p.name for p in blob_store.temp_dir.iterdir()) == [in_use.name, other.name]
    assert blob_store.cleanup_temp() == 1
    assert LocalBlobStore(blob_store.root / "nowhere").cleanup_temp() == 0


def test_ingest_path_reads_a_file(blob_store, tmp_path):
    source = tmp_path / "录像.mp4"
    source.write_bytes(CONTENT)

    info = blob_store.ingest_path(source)

    assert info.sha256 == hashlib.sha256(CONTENT).hexdigest() and info.created


def test_ingest_path_of_a_missing_file_names_it(blob_store, tmp_path):
    missing = tmp_path / "不存在.mp4"

    with pytest.raises(InvalidInput, match="不存在"):
        blob_store.ingest_path(missing)
    assert not blob_store.root.exists()


def test_ingest_path_of_a_directory_says_so(blob_store, tmp_path):
    with pytest.raises(InvalidInput, match=f"{tmp_path} 是目录"):
        blob_store.ingest_path(tmp_path)
    assert not blob_store.root.exists()


def test_ingest_path_below_a_file_is_invalid_input(blob_store, tmp_path):
    (tmp_path / "a-file").write_bytes(b"x")

    with pytest.raises(InvalidInput, match="a-file"):
        blob_store.ingest_path(tmp_path / "a-file" / "inside")
    assert not blob_store.root.exists()


def test_ingest_path_of_an_unreadable_file_names_it(blob_store):
    with tempfile.TemporaryDirectory() as folder:  # pytest's own temp dirs are root-only
        os.chmod(folder, 0o755)
        source = Path(folder) / "secret.mp4"
        source.write_bytes(CONTENT)
        source.chmod(0o000)

        outcome = _as_unprivileged_user(lambda: blob_store.ingest_path(source))

    assert outcome["error"] == "InvalidInput", outcome
    assert str(source) in outcome["message"] and "无法读取" in outcome["message"]
    assert not blob_store.root.exists()


def test_a_failing_source_is_invalid_input_and_leaves_nothing(blob_store):
    class FailingMedium(io.RawIOBase):
        """A card reader that dies after the first megabyte."""

        def __init__(self) -> None:
            self.calls = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 1:
                raise OSError(5, "Input/output error")
            return b"x" * 1024 * 1024

    with pytest.raises(InvalidInput, match="读取输入失败"):
        blob_store.ingest(FailingMedium())
    assert files_under(blob_store.root) == []


def _as_unprivileged_user(action) -> dict[str, str | None]:
    """Run ``action`` in a forked child without root's bypass of file permissions."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        result: dict[str, str | None] = {"error": None, "message": None}
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            action()
        except Exception as exc:  # reported to the parent
            result = {"error": type(exc).__name__, "message": str(exc)}
        finally:
            os.write(write_end, json.dumps(result).encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_open_blob_store_defaults_to_a_local_store_in_the_data_dir(tmp_path):
    settings = Settings.from_env({"LIUHEN_DATA_DIR": str(tmp_path / "data")})

    store = open_blob_store(settings)

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "data" / "blobs"
    assert store.describe() == str(tmp_path / "data" / "blobs")


@pytest.mark.parametrize("url", ["file://server/share/blobs", "file://relative/dir"])
def test_open_blob_store_refuses_a_file_url_that_is_not_a_local_absolute_path(tmp_path, url):
    settings = Settings.from_env(
        {"LIUHEN_DATA_DIR": str(tmp_path / "data"), "LIUHEN_STORE_URL": url}
    )

    with pytest.raises(ConfigError, match="LIUHEN_STORE_URL"):
        open_blob_store(settings)


def _staged(tmp_path: Path, data: bytes) -> tuple[Path, tuple[str, str]]:
    staged = tmp_path / "uploads" / "abc.d" / "DSJ-0001_20261120090000.mp4"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(data)
    return staged, (hashlib.sha256(data).hexdigest(), hashlib.new("sm3", data).hexdigest())


def test_a_staged_file_is_adopted_as_it_is_without_a_second_copy(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    staged, digests = _staged(tmp_path, CONTENT)
    assert store.adopts_from(staged.parent)

    info = store.adopt_path(staged, digests)

    assert info == BlobInfo(digests[0], digests[1], len(CONTENT), True)
    stored = store.path_for(digests[0])
    assert os.path.samefile(stored, staged)  # the same bytes on disk: a link, not a copy
    assert stat.S_IMODE(stored.stat().st_mode) == 0o444
    staged.unlink()  # the upload's staging goes; the blob stays whole
    assert store.rehash(digests[0]) == (digests[0], digests[1], len(CONTENT))
    assert store.marker_held(digests[0]) is True  # until its row commits (``settle``)


def test_adopting_bytes_already_held_keeps_the_stored_file(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    held = ingest_bytes(store, CONTENT)
    staged, digests = _staged(tmp_path, CONTENT)

    info = store.adopt_path(staged, digests)

    assert info.created is False and info.sha256 == held.sha256
    assert not os.path.samefile(store.path_for(held.sha256), staged)


def test_a_staged_file_on_another_filesystem_is_copied_and_its_digests_checked(tmp_path):
    elsewhere = _another_filesystem(tmp_path)
    store = LocalBlobStore(tmp_path / "blobs")
    with tempfile.TemporaryDirectory(dir=elsewhere) as other:
        staged, digests = _staged(Path(other), CONTENT)
        assert not store.adopts_from(staged.parent)
        info = store.adopt_path(staged, digests)
        assert info.created and not os.path.samefile(store.path_for(info.sha256), staged)
        with pytest.raises(StorageError, match="暂存文件在接收后被改动"):
            store.adopt_path(staged, (hashlib.sha256(b"other").hexdigest(), digests[1]))


def _another_filesystem(here: Path) -> Path:
    """A writable folder on another filesystem than ``here``: the disk's temporary folder
    when the suite's are in memory (tests/conftest.py), else ``/dev/shm``."""
    for candidate in (Path("/dev/shm"), Path("/tmp"), Path("/var/tmp"), Path.home()):
        if (
            candidate.is_dir()
            and os.access(candidate, os.W_OK)
            and os.stat(candidate).st_dev != os.stat(here).st_dev
        ):
            return candidate
    pytest.fail(f"no writable folder on another filesystem than {here}")
