"""The S3 blob store against a real SeaweedFS server (see conftest.py)."""

from __future__ import annotations

import hashlib
import io
import os
import socket

import pytest
from tests.integration.blobs.blobgen import GeneratedStream, blocks
from tests.integration.blobs.conftest import S3_ACCESS_KEY, S3_SECRET_KEY

from liuhen.config import Settings
from liuhen.errors import InvalidInput, NotFound, StorageError
from liuhen.store.blobs import open_blob_store
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.blobs.s3 import S3BlobStore
from liuhen.store.blobs.spool import TEMP_PREFIX, TEMP_SUFFIX

pytestmark = pytest.mark.s3

CONTENT = "音像记录 现场检查 ".encode() * 4000


def test_ingest_uploads_under_prefix_with_sm3_metadata(s3_store):
    info = s3_store.ingest(io.BytesIO(CONTENT))

    sha256 = hashlib.sha256(CONTENT).hexdigest()
    assert info == BlobInfo(sha256, hashlib.new("sm3", CONTENT).hexdigest(), len(CONTENT), True)
    assert s3_store.key_for(sha256) == f"{s3_store.prefix}/sha256/{sha256}"
    assert s3_store.exists(sha256) and s3_store.size(sha256) == len(CONTENT)
    assert s3_store.sm3(sha256) == info.sm3
    with s3_store.open(sha256) as body:
        assert body.read() == CONTENT
    assert list(s3_store.spool_dir.iterdir()) == []


def test_multipart_upload_of_a_larger_stream_round_trips(s3_store):
    size = 12 * 1024 * 1024 + 3  # three 5 MiB parts
    info = s3_store.ingest(GeneratedStream(size))

    expected = hashlib.sha256()
    for data in blocks(size):
        expected.update(data)
    assert info.sha256 == expected.hexdigest()
    assert s3_store.rehash(info.sha256) == (info.sha256, info.sm3, size)


def test_reingesting_identical_content_uploads_nothing_new(s3_store):
    first = s3_store.ingest(io.BytesIO(CONTENT))

    again = s3_store.ingest(io.BytesIO(CONTENT))

    assert again == BlobInfo(first.sha256, first.sm3, first.size, created=False)
    assert list(s3_store.iter_keys()) == [first.sha256]
    assert list(s3_store.spool_dir.iterdir()) == []


def test_read_range_returns_inclusive_slices_and_clamps_the_end(s3_store):
    data = os.urandom(3 * 1024 * 1024 + 11)
    info = s3_store.ingest(io.BytesIO(data))

    def read(start: int, end: int) -> bytes:
        return b"".join(s3_store.read_range(info.sha256, start, end))

    assert read(0, 0) == data[:1]
    assert read(10, 19) == data[10:20]
    assert read(1024 * 1024 - 1, 2 * 1024 * 1024) == data[1024 * 1024 - 1 : 2 * 1024 * 1024 + 1]
    assert read(len(data) - 3, len(data) + 1000) == data[-3:]


@pytest.mark.parametrize("start, end", [(-1, 5), (6, 5), (len(CONTENT), len(CONTENT) + 9)])
def test_read_range_outside_the_blob_is_invalid_input(s3_store, start, end):
    info = s3_store.ingest(io.BytesIO(CONTENT))

    with pytest.raises(InvalidInput):
        s3_store.read_range(info.sha256, start, end)


def test_rehash_detects_an_object_replaced_behind_our_back(s3_store):
    info = s3_store.ingest(io.BytesIO(CONTENT))
    assert s3_store.rehash(info.sha256) == (info.sha256, info.sm3, info.size)

    tampered = bytearray(CONTENT)
    tampered[1234] ^= 0x01
    s3_store._client.put_object(
        Bucket=s3_store.bucket, Key=s3_store.key_for(info.sha256), Body=bytes(tampered)
    )

    sha256, sm3, size = s3_store.rehash(info.sha256)
    assert size == info.size and sha256 != info.sha256 and sm3 != info.sm3


def test_iter_keys_lists_only_this_prefix_in_order(s3_store, seaweedfs, tmp_path):
    keys = {s3_store.ingest(io.BytesIO(f"第{i}份".encode())).sha256 for i in range(7)}
    neighbour = S3BlobStore(
        s3_store.bucket, s3_store.prefix + "-other", seaweedfs, S3_ACCESS_KEY, S3_SECRET_KEY,
        spool_dir=tmp_path / "other-spool",
    )  # fmt: skip
    neighbour.ingest(io.BytesIO(b"someone else's"))

    assert list(s3_store.iter_keys()) == sorted(keys)


def test_delete_removes_the_object_and_a_second_delete_is_not_found(s3_store):
    info = s3_store.ingest(io.BytesIO(CONTENT))

    s3_store.delete(info.sha256)

    assert not s3_store.exists(info.sha256)
    with pytest.raises(NotFound):
        s3_store.delete(info.sha256)


def test_absent_blob_is_not_found_everywhere(s3_store):
    absent = hashlib.sha256(b"never stored").hexdigest()

    assert not s3_store.exists(absent)
    for call in (
        lambda: s3_store.size(absent),
        lambda: s3_store.open(absent),
        lambda: s3_store.read_range(absent, 0, 1),
        lambda: s3_store.rehash(absent),
    ):
        with pytest.raises(NotFound, match=absent):
            call()


def test_cleanup_temp_removes_stray_spool_files(s3_store):
    s3_store.spool_dir.mkdir(parents=True)
    (s3_store.spool_dir / f"{TEMP_PREFIX}crashed{TEMP_SUFFIX}").write_bytes(b"half")

    assert s3_store.cleanup_temp() == 1
    assert list(s3_store.spool_dir.iterdir()) == []


def test_a_missing_bucket_is_created_on_first_ingest(seaweedfs, tmp_path):
    bucket = f"liuhen-new-{os.getpid()}-{tmp_path.name[-8:]}".lower().replace("_", "-")
    store = S3BlobStore(
        bucket, "", seaweedfs, S3_ACCESS_KEY, S3_SECRET_KEY, spool_dir=tmp_path / "spool"
    )
    assert list(store.iter_keys()) == []

    info = store.ingest(io.BytesIO(CONTENT))

    assert store.key_for(info.sha256) == f"sha256/{info.sha256}"
    assert list(store.iter_keys()) == [info.sha256]


def test_open_blob_store_builds_the_s3_store_from_settings(seaweedfs, tmp_path):
    settings = Settings.from_env(
        {
            "LIUHEN_DATA_DIR": str(tmp_path / "data"),
            "LIUHEN_STORE_URL": "s3://liuhen-test/from-settings",
            "LIUHEN_S3_ENDPOINT": seaweedfs,
            "LIUHEN_S3_ACCESS_KEY": S3_ACCESS_KEY,
            "LIUHEN_S3_SECRET_KEY": S3_SECRET_KEY,
        }
    )

    store = open_blob_store(settings)

    assert isinstance(store, S3BlobStore) and store.prefix == "from-settings"
    assert store.ingest(io.BytesIO(CONTENT)).size == len(CONTENT)
    assert "s3://liuhen-test/from-settings" in store.describe()


def test_unreachable_endpoint_is_a_storage_error_naming_the_setting(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    store = S3BlobStore(
        "liuhen-test", "x", f"http://127.0.0.1:{closed_port}", S3_ACCESS_KEY, S3_SECRET_KEY,
        spool_dir=tmp_path / "spool",
    )  # fmt: skip

    with pytest.raises(StorageError, match="LIUHEN_S3_ENDPOINT"):
        store.ingest(io.BytesIO(CONTENT))
    assert not (tmp_path / "spool").exists()


def test_an_object_whose_ingest_died_before_its_row_is_removed_at_the_next_start(s3_store):
    """The marker lives beside the spool (local to the node); the dead process's object goes,
    one whose row exists stays."""
    import subprocess
    import sys

    script = (
        "import io, os, sys\n"
        "from liuhen.store.blobs.s3 import S3BlobStore\n"
        "s = S3BlobStore(*sys.argv[1:6], spool_dir=__import__('pathlib').Path(sys.argv[6]))\n"
        "s.ingest(io.BytesIO(b'orphan')); s.ingest(io.BytesIO(b'registered'))\n"
        "os._exit(137)\n"
    )
    args = [
        s3_store.bucket,
        s3_store.prefix,
        s3_store.endpoint_url,
        S3_ACCESS_KEY,
        S3_SECRET_KEY,
        str(s3_store.spool_dir),
    ]
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    assert done.returncode == 137, done.stderr
    orphan, registered = (hashlib.sha256(b).hexdigest() for b in (b"orphan", b"registered"))

    assert s3_store.recover_pending(lambda sha: sha == registered) == [orphan]
    assert list(s3_store.iter_keys()) == [registered]
    assert s3_store.pending_leftovers(0) == []
