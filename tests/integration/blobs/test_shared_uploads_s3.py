"""Uploads staged in S3 (SeaweedFS) through the service, in one process: a PATCH short of a
part leaves a tail object the next PATCH picks up; a PATCH whose checksum fails keeps
nothing; terminating or expiring an upload aborts its multipart upload and removes its tail
and its row, on the ledger; the finished upload is stored under its SHA-256."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.helpers import SYSTEM

from liuhen.errors import ChecksumMismatch, Conflict, UploadLocked
from liuhen.services.av.shared_uploads import SharedUploads, uploads_for
from liuhen.store import tables as t
from liuhen.store import upload_rows as rows
from liuhen.store.store import Store

from .conftest import S3_BUCKET
from .s3_uploads import MIB, open_store
from .s3_uploads import footage as make_footage

pytestmark = pytest.mark.s3
NAME = "DSJ-S3-0001_20261120090000.mp4"


@pytest.fixture
def store(seaweedfs: str, tmp_path: Path, make_settings: Any, clock: Any) -> Any:
    yield from open_store(seaweedfs, tmp_path, make_settings, clock, "uploads")


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_footage(tmp_path_factory.mktemp("cam"))


def _send(uploads: SharedUploads, upload_id: str, offset: int, data: bytes, **kw: Any) -> int:
    patch = uploads.open_patch(SYSTEM, upload_id, offset, kw.get("checksum"))
    patch.write(data)
    return patch.close()


def _objects(store: Store, prefix: str) -> list[str]:
    listed = store.blobs._client.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_tails_checksums_and_the_finished_upload(store: Any, footage: bytes) -> None:
    uploads = uploads_for(store)
    assert isinstance(uploads, SharedUploads)
    info = uploads.create(SYSTEM, length=len(footage), metadata={"filename": NAME})
    assert not store.settings.uploads_dir.exists()  # nothing on the node's disk
    assert _send(uploads, info.id, 0, footage[: 3 * MIB]) == 3 * MIB
    row = rows.load(store.engine, info.id)
    assert row is not None and row.staging["parts"] == [] and row.staging["tail"]
    assert _objects(store, row.staging["tail"]) == [row.staging["tail"]]
    wrong = "sha256 " + base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(ChecksumMismatch):
        _send(uploads, info.id, 3 * MIB, footage[3 * MIB : 19 * MIB], checksum=wrong)
    assert uploads.get(SYSTEM, info.id)[1] == 3 * MIB  # nothing of it kept
    with pytest.raises(Conflict):
        _send(uploads, info.id, 0, footage[:10])
    assert _send(uploads, info.id, 3 * MIB, footage[3 * MIB : 19 * MIB]) == 19 * MIB
    row = rows.load(store.engine, info.id)
    assert row is not None and [p[2] for p in row.staging["parts"]] == [16 * MIB]
    assert _send(uploads, info.id, 19 * MIB, footage[19 * MIB :]) == len(footage)
    result = uploads.finish(SYSTEM, info.id)
    sha256 = hashlib.sha256(footage).hexdigest()
    assert result["status"] == "new" and result["sha256"] == sha256, result
    assert store.blobs.rehash(sha256)[0] == sha256
    assert _objects(store, uploads.staging.key(info.id)) == []  # staged object and tails gone
    assert uploads.finish(SYSTEM, info.id) == result  # idempotent
    assert uploads.get(SYSTEM, info.id) == (uploads.load(info.id), len(footage))


def test_terminated_and_expired_uploads_abort_their_multipart_upload(
    store: Any, footage: bytes, clock: Any
) -> None:
    uploads = uploads_for(store)
    stopped = uploads.create(SYSTEM, length=len(footage), metadata={"filename": NAME})
    _send(uploads, stopped.id, 0, footage[: 17 * MIB])
    left = uploads.create(SYSTEM, length=len(footage), metadata={"filename": NAME})
    _send(uploads, left.id, 0, footage[:MIB])
    s3_ids = {u: rows.load(store.engine, u).staging["s3"] for u in (stopped.id, left.id)}  # type: ignore[union-attr]

    uploads.terminate(SYSTEM, stopped.id)
    clock.advance(hours=store.settings.upload_expiry_hours + 1)
    assert uploads.clean_expired() == 1

    assert rows.load(store.engine, stopped.id) is None and rows.load(store.engine, left.id) is None
    pending = store.blobs._client.list_multipart_uploads(Bucket=S3_BUCKET).get("Uploads", [])
    assert not {u["UploadId"] for u in pending} & set(s3_ids.values())
    assert _objects(store, uploads.staging.key(left.id)) == []  # the tail too
    with store.read() as conn:
        done = set(conn.execute(select(t.ledger_events.c.action)).scalars())
    assert {"av.upload_terminated", "av.upload_expired"} <= done


def test_a_dead_requests_claim_lasts_its_lease_and_a_live_one_keeps_renewing(
    store: Any, footage: bytes, clock: Any
) -> None:
    """A PATCH whose node died after sending a part holds the upload for the lease only
    (423 meanwhile); the PATCH that takes it over keeps it for as long as bytes arrive, sends
    the parts again and finishes the upload whole; the dead request, were it to wake, writes
    nothing more (409)."""
    uploads = uploads_for(store)
    info = uploads.create(SYSTEM, length=len(footage), metadata={"filename": NAME})
    dead = uploads.open_patch(SYSTEM, info.id, 0)
    dead.write(footage[: 17 * MIB])  # part 1 sent, then the node died: never closed
    with pytest.raises(UploadLocked):
        uploads.open_patch(SYSTEM, info.id, 0)
    clock.advance(seconds=rows.LEASE.total_seconds() + 1)
    alive = uploads.open_patch(SYSTEM, info.id, 0)  # taken over, at the committed offset
    for start in range(0, 18 * MIB, 3 * MIB):  # a slow client: longer than a lease in all
        alive.write(footage[start : start + 3 * MIB])
        clock.advance(seconds=rows.RENEW.total_seconds() + 1)
        with pytest.raises(UploadLocked):
            uploads.open_patch(SYSTEM, info.id, 0)
    with pytest.raises(Conflict, match="已由另一请求接管"):
        dead.write(footage[17 * MIB : 18 * MIB])
    alive.write(footage[18 * MIB :])
    assert alive.close() == len(footage)
    result = uploads.finish(SYSTEM, info.id)
    assert result["status"] == "new" and result["sha256"] == hashlib.sha256(footage).hexdigest()
