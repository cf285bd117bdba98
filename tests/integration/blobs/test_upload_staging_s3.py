"""Resumable-upload staging in S3 (SeaweedFS): a multipart upload per tus upload, a tail
object for bytes short of a part, a ranged reader for the probe, and the staged object
taken under its content address by a server-side copy."""

from __future__ import annotations

import hashlib
import os

import pytest

from liuhen.store.blobs.s3 import S3BlobStore
from liuhen.store.blobs.s3_staging import MIN_PART, PART, part_size

pytestmark = pytest.mark.s3


def test_part_sizes_stay_within_the_part_limit() -> None:
    assert part_size(1) == PART >= MIN_PART
    assert part_size(64 << 30) * 9_000 >= 64 << 30 and part_size(64 << 30) % (1 << 20) == 0


def test_staged_parts_complete_into_one_object_adopted_without_passing_through(
    s3_store: S3BlobStore,
) -> None:
    staging = s3_store.staging()
    data = os.urandom(MIN_PART) + os.urandom(MIN_PART) + b"last bytes"
    s3_id = staging.start("upload0001")
    first = staging.put_part("upload0001", s3_id, 1, data[:MIN_PART])
    second = staging.put_part("upload0001", s3_id, 2, data[MIN_PART : 2 * MIN_PART])
    tail = staging.tail_key("upload0001", 2 * MIN_PART)
    staging.put_tail(tail, data[2 * MIN_PART :])
    assert staging.get_tail(tail) == b"last bytes"
    third = staging.put_part("upload0001", s3_id, 3, staging.get_tail(tail))
    staging.complete(
        "upload0001", s3_id, [[1, first, MIN_PART], [2, second, MIN_PART], [3, third, 10]]
    )
    sha256, sm3 = hashlib.sha256(data).hexdigest(), hashlib.new("sm3", data).hexdigest()
    assert staging.digests("upload0001") == (sha256, sm3, len(data))
    size, reader = staging.reader("upload0001")
    with reader:
        assert size == len(data)
        reader.seek(-10, os.SEEK_END)
        assert reader.read() == b"last bytes"
        reader.seek(MIN_PART - 3)
        assert reader.read(6) == data[MIN_PART - 3 : MIN_PART + 3]

    info = s3_store.adopt_staged(staging.key("upload0001"), (sha256, sm3), len(data))

    assert info.created and info.sha256 == sha256 and info.size == len(data)
    assert s3_store.sm3(sha256) == sm3
    assert s3_store.rehash(sha256) == (sha256, sm3, len(data))
    again = s3_store.adopt_staged(staging.key("upload0001"), (sha256, sm3), len(data))
    assert again.created is False
    staging.remove(staging.key("upload0001"))
    staging.remove(tail)
    assert s3_store.exists(sha256)


def test_an_abandoned_multipart_upload_is_aborted(s3_store: S3BlobStore) -> None:
    staging = s3_store.staging()
    s3_id = staging.start("upload0002")
    staging.put_part("upload0002", s3_id, 1, b"x" * MIN_PART)
    staging.abort("upload0002", s3_id)
    staging.abort("upload0002", s3_id)  # twice is fine
    listed = staging.client.list_multipart_uploads(Bucket=staging.bucket, Prefix=staging.key(""))
    assert all(u["UploadId"] != s3_id for u in listed.get("Uploads", []))
