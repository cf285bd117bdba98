"""Uploads whose sender announced the SHA-256, on S3 (SeaweedFS): the multipart upload is
made at the content address and completing it is the promotion, with no staged object and
no copy; a digest that differs leaves nothing at either key; bytes already stored are not
replaced; a PATCH on another process goes on from the SHA-256 its row saved."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.concurrency.conftest import racers  # noqa: F401  (the racing processes)
from tests.concurrency.upload_ops import upload_announced
from tests.conftest import ADMIN_PASSWORD, ENGINES
from tests.helpers import SYSTEM

from liuhen.services.admin.setup import initialise
from liuhen.services.av.shared_uploads import SharedUploads, uploads_for
from liuhen.services.av.upload_staging import HASHES
from liuhen.store import tables as t
from liuhen.store import upload_rows as rows
from liuhen.store.store import Store

from .conftest import S3_BUCKET
from .nodes import s3_env
from .s3_uploads import MIB, START, open_store
from .s3_uploads import footage as make_footage

pytestmark = pytest.mark.s3
NAME = "DSJ-S3-0002_20261120090000.mp4"


@pytest.fixture
def store(seaweedfs: str, tmp_path: Path, make_settings: Any, clock: Any) -> Any:
    yield from open_store(seaweedfs, tmp_path, make_settings, clock, "addressed")


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_footage(tmp_path_factory.mktemp("cam"))


def _send(uploads: SharedUploads, upload_id: str, offset: int, data: bytes) -> int:
    patch = uploads.open_patch(SYSTEM, upload_id, offset)
    patch.write(data)
    return patch.close()


def _keys(store: Store) -> list[str]:
    """The blobs and staged objects under the store's prefix, the prefix cut off (not the
    checkpoint log beside them)."""
    prefix = store.blobs.prefix + "/"
    listed = store.blobs._client.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix)
    keys = (item["Key"][len(prefix) :] for item in listed.get("Contents", []))
    return sorted(k for k in keys if k.startswith(("sha256/", "staging/")))


def _multipart_keys(store: Store) -> list[str]:
    listed = store.blobs._client.list_multipart_uploads(
        Bucket=S3_BUCKET, Prefix=store.blobs.prefix + "/"
    )
    return [u["Key"] for u in listed.get("Uploads", [])]


def _announced(footage: bytes, sha256: str | None = None) -> dict[str, str]:
    return {"filename": NAME, "sha256": sha256 or hashlib.sha256(footage).hexdigest()}


def _finished_events(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        query = select(t.ledger_events.c.payload).where(
            t.ledger_events.c.action == "av.upload_finished"
        )
        return [dict(p) for p in conn.execute(query).scalars()]


def test_an_announced_upload_is_completed_at_its_content_address_without_a_copy(
    store: Any, footage: bytes
) -> None:
    sha256 = hashlib.sha256(footage).hexdigest()
    uploads = uploads_for(store)
    info = uploads.create(SYSTEM, length=len(footage), metadata=_announced(footage))
    assert _multipart_keys(store) == [store.blobs.key_for(sha256)]  # made there from the start
    assert _send(uploads, info.id, 0, footage[: 17 * MIB]) == 17 * MIB  # a part and a tail
    assert _send(uploads, info.id, 17 * MIB, footage[17 * MIB :]) == len(footage)
    assert _keys(store) == []  # nothing at the address before the last request's check

    result = uploads.finish(SYSTEM, info.id)

    assert result["status"] == "new" and result["sha256"] == sha256, result
    assert _keys(store) == [f"sha256/{sha256}"]  # no staged object, no tail, no copy
    assert _multipart_keys(store) == []
    sm3 = hashlib.new("sm3", footage).hexdigest()
    assert store.blobs.rehash(sha256) == (sha256, sm3, len(footage))
    with store.read() as conn:
        row = conn.execute(select(t.blobs).where(t.blobs.c.sha256 == sha256)).mappings().one()
    assert row["sm3"] == sm3 and row["size"] == len(footage)
    assert [e["status"] for e in _finished_events(store)] == ["new"]


def test_a_digest_that_differs_from_the_announced_one_stores_nothing(
    store: Any, footage: bytes
) -> None:
    announced = hashlib.sha256(b"what the station meant to send").hexdigest()
    uploads = uploads_for(store)
    info = uploads.create(SYSTEM, length=len(footage), metadata=_announced(footage, announced))
    _send(uploads, info.id, 0, footage)

    result = uploads.finish(SYSTEM, info.id)

    assert result["status"] == "rejected", result
    assert "与上传方给出的" in result["reason"] and "未存储，请重新上传" in result["reason"]
    assert _keys(store) == [] and _multipart_keys(store) == []  # neither key, nor the parts
    assert not store.blobs.exists(announced)
    assert not store.blobs.exists(hashlib.sha256(footage).hexdigest())
    with store.read() as conn:
        assert conn.execute(select(t.blobs)).first() is None
    assert [e["status"] for e in _finished_events(store)] == ["rejected"]
    assert uploads.finish(SYSTEM, info.id) == result  # the outcome is kept


def test_bytes_already_stored_are_neither_written_again_nor_replaced(
    store: Any, footage: bytes
) -> None:
    """The bytes were in the store before (another way in, no record yet): the upload
    records them without completing its multipart upload, and the object is the one that
    was there. Sent again once recorded, it is a duplicate of that record."""
    sha256 = hashlib.sha256(footage).hexdigest()
    before = store.blobs.ingest(io.BytesIO(footage))
    store.blobs.settle([sha256])
    assert before.created
    head = store.blobs._client.head_object(Bucket=S3_BUCKET, Key=store.blobs.key_for(sha256))
    uploads = uploads_for(store)
    first = uploads.create(SYSTEM, length=len(footage), metadata=_announced(footage))
    _send(uploads, first.id, 0, footage)

    result = uploads.finish(SYSTEM, first.id)

    assert result["status"] == "new", result
    again = store.blobs._client.head_object(Bucket=S3_BUCKET, Key=store.blobs.key_for(sha256))
    assert (again["ETag"], again["LastModified"]) == (head["ETag"], head["LastModified"])
    assert again["Metadata"].get("sm3") == before.sm3  # the object that was there, untouched
    assert _multipart_keys(store) == []

    second = uploads.create(SYSTEM, length=len(footage), metadata=_announced(footage))
    _send(uploads, second.id, 0, footage)
    dup = uploads.finish(SYSTEM, second.id)

    assert dup["status"] == "duplicate" and dup["record_id"] == result["record_id"], dup
    assert _keys(store) == [f"sha256/{sha256}"] and _multipart_keys(store) == []


def test_a_patch_in_another_process_goes_on_from_the_saved_sha256(
    store: Any, footage: bytes
) -> None:
    """Every PATCH lands where the running digests are not (another node, a restart): the
    SHA-256 goes on from the state the row saved; the SM3 is read once from the object."""
    sha256 = hashlib.sha256(footage).hexdigest()
    uploads = uploads_for(store)
    info = uploads.create(SYSTEM, length=len(footage), metadata=_announced(footage))
    cuts = [0, 5 * MIB + 3, 17 * MIB + 1, 19 * MIB, len(footage)]
    for start, end in zip(cuts, cuts[1:], strict=False):
        HASHES.drop(info.id)  # as if this request were served by another process
        assert _send(uploads, info.id, start, footage[start:end]) == end
        saved = rows.load(store.engine, info.id).staging["sha256_state"]  # type: ignore[union-attr]
        assert saved["at"] == end
    HASHES.drop(info.id)

    result = uploads.finish(SYSTEM, info.id)

    assert result["status"] == "new" and result["sha256"] == sha256, result
    assert _keys(store) == [f"sha256/{sha256}"]
    with store.read() as conn:
        row = conn.execute(select(t.blobs).where(t.blobs.c.sha256 == sha256)).mappings().one()
    assert row["sm3"] == hashlib.new("sm3", footage).hexdigest()


def test_terminating_an_announced_upload_aborts_it_at_the_address(
    store: Any, footage: bytes
) -> None:
    uploads = uploads_for(store)
    info = uploads.create(SYSTEM, length=len(footage), metadata=_announced(footage))
    _send(uploads, info.id, 0, footage[: 17 * MIB])

    uploads.terminate(SYSTEM, info.id)

    assert _keys(store) == [] and _multipart_keys(store) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_two_stations_sending_the_same_file_at_once_store_it_once(
    engine: str,
    seaweedfs: str,
    tmp_path: Path,
    make_settings: Any,
    clock: Any,
    footage: bytes,
    racers: Any,  # noqa: F811  (the fixture imported above)
) -> None:
    """Two processes upload the same announced file at once: one multipart upload makes the
    object, the other is aborted (never completed over it); one record, the other upload a
    duplicate of it; one blob row; nothing staged or pending is left."""
    settings = make_settings(tmp_path / "data", engine=engine, env=s3_env(seaweedfs, "racing"))
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    clock.now = START + timedelta(days=1)
    store = Store.open(settings, clock=clock)
    try:
        path = tmp_path / NAME
        path.write_bytes(footage)
        sha256 = hashlib.sha256(footage).hexdigest()
        each = [(SYSTEM, str(path), sha256)] * 2

        results = racers.race_each(store, upload_announced, each)

        assert sorted(results.values("ok")) == ["'duplicate'", "'new'"], results
        assert _keys(store) == [f"sha256/{sha256}"] and _multipart_keys(store) == []
        assert store.blobs.rehash(sha256)[0] == sha256
        with store.read() as conn:
            assert len(conn.execute(select(t.blobs)).all()) == 1
            records = conn.execute(select(t.records.c.id).where(t.records.c.kind == "av")).all()
        assert len(records) == 1
        statuses = sorted(e["status"] for e in _finished_events(store))
        assert statuses == ["duplicate", "new"]
    finally:
        store.close()
