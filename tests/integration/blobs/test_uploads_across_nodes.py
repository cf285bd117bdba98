"""Resumable uploads in a cluster: two ``liuhen serve`` nodes, each with its own data
directory (the same signing key), on one PostgreSQL database and one SeaweedFS store,
started once for the module's tests (each uploads footage of its own, under its own name).

An upload started on node A resumes on node B and comes out whole, its digests right; two
PATCHes at the same offset sent to both nodes at once write once (one 204, the other told
the offset moved, 409, or that a request is writing, 423); the staged object is gone after
the ingest and the store verifies.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.factories import make_user
from tests.fixtures import Templates
from tests.helpers import SYSTEM

from liuhen.media.synthetic import make_video, padding_box
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.services.av.stations import add_station
from liuhen.services.av.upload_staging import encode_metadata
from liuhen.store import tables as t
from liuhen.store.store import Store

from .conftest import S3_BUCKET
from .nodes import node_env, running, s3_env

pytestmark = [pytest.mark.s3, pytest.mark.postgres]

MIB = 1 << 20
START = datetime.now(UTC) - timedelta(days=2)


@pytest.fixture(scope="module")
def cluster(
    seaweedfs: str, templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Two nodes, shared by the module's tests (each uploads footage of its own): their
    ports, a station's token and the settings of node A."""
    root = tmp_path_factory.mktemp("nodes")
    settings = templates.settings(root / "a", engine="postgres", env=s3_env(seaweedfs, "nodes"))
    try:
        initialise(settings, admin_password="Admin-pass-2026")
        store = Store.open(settings)
        make_user(store, "custodian", "custodian", password="Custodian-pass-2026")
        _, token = add_station(store, SYSTEM, name="采集站一", username="custodian")
        store.close()
        envs = [node_env(settings), node_env(settings, root / "b")]  # B: its own data dir
        with running(envs) as ports:
            yield {"ports": ports, "token": token, "settings": settings}
    finally:
        templates.drop(settings)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("cam") / "v.mp4"
    return make_video(path, seconds=1, width=96, height=64, creation_time=START).read_bytes()


@pytest.fixture
def footage(video: bytes) -> bytes:
    """A real short video followed by a ``free`` box: 40 MiB, so parts of 16 MiB fill; its
    random tail makes each test's upload new to the shared nodes."""
    size = 40 * MIB
    return video + padding_box(size - len(video)) + os.urandom(size - len(video) - 8)


def _request(
    port: int, method: str, url: str, token: str, body: bytes = b"", **headers: str
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    sent = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0", **headers}
    if method == "PATCH":
        sent["Content-Type"] = "application/offset+octet-stream"
    conn.request(method, url, body=body, headers=sent)
    answer = conn.getresponse()
    answer.read()
    return answer


_NAMES: dict[bytes, str] = {}


def _name(footage: bytes) -> str:
    """A camera's name for ``footage``: each test's footage is a file of its own to the
    shared nodes' station (the same name with other bytes would be refused)."""
    key = hashlib.sha256(footage).digest()
    if key not in _NAMES:
        taken = START + timedelta(minutes=len(_NAMES))
        _NAMES[key] = (
            f"DSJ-NODE-0001_{taken.astimezone(ZoneInfo('Asia/Shanghai')):%Y%m%d%H%M%S}.mp4"
        )
    return _NAMES[key]


def _create(port: int, token: str, footage: bytes, sha256: str | None = None) -> str:
    meta = {"filename": _name(footage)} | ({"sha256": sha256} if sha256 else {})
    made = _request(
        port,
        "POST",
        "/api/uploads",
        token,
        **{"Upload-Length": str(len(footage)), "Upload-Metadata": encode_metadata(meta)},
    )
    assert made.status == 201, made.status
    return str(made.getheader("Location"))


def _patch(port: int, token: str, url: str, offset: int, data: bytes) -> http.client.HTTPResponse:
    return _request(port, "PATCH", url, token, data, **{"Upload-Offset": str(offset)})


def test_an_upload_started_on_one_node_is_finished_on_the_other(
    cluster: dict[str, Any], footage: bytes
) -> None:
    a, b = cluster["ports"]
    token = cluster["token"]
    url = _create(a, token, footage)
    cut = 20 * MIB + 12345  # one whole part and a tail left on node A
    first = _patch(a, token, url, 0, footage[:cut])
    assert first.status == 204 and first.getheader("Upload-Offset") == str(cut)
    head = _request(b, "HEAD", url, token)  # node B sees what node A received
    assert head.status == 200 and head.getheader("Upload-Offset") == str(cut)
    assert _patch(b, token, url, 0, footage[:10]).status == 409  # the offset is shared too
    last = _patch(b, token, url, cut, footage[cut:])
    assert last.status == 204, last.getheader("LiuHen-Reason")
    sha256 = hashlib.sha256(footage).hexdigest()
    assert last.getheader("LiuHen-Result") == "new"
    assert last.getheader("LiuHen-SHA256") == sha256
    store = Store.open(cluster["settings"])
    try:
        assert store.blobs.rehash(sha256) == (
            sha256,
            hashlib.new("sm3", footage).hexdigest(),
            len(footage),
        )
        staged = store.blobs.staging().key(url.rsplit("/", 1)[1])
        assert not list(_objects(store, staged))  # the staged object and tails are gone
        with store.read() as conn:
            row = conn.execute(select(t.blobs).where(t.blobs.c.sha256 == sha256)).mappings().one()
        assert row["sm3"] == hashlib.new("sm3", footage).hexdigest()
        report = verify(store, SYSTEM)
        assert report.ok, report.problems
    finally:
        store.close()


def test_an_announced_upload_goes_on_at_its_address_on_the_other_node(
    cluster: dict[str, Any], footage: bytes
) -> None:
    """The station announced the SHA-256: node A makes the multipart upload at the content
    address and saves its running SHA-256 with each PATCH; node B goes on from it, checks
    the whole and completes the upload there. Nothing is ever staged under ``staging/``."""
    a, b = cluster["ports"]
    token = cluster["token"]
    sha256 = hashlib.sha256(footage).hexdigest()
    url = _create(a, token, footage, sha256)
    cut = 20 * MIB + 12345
    assert _patch(a, token, url, 0, footage[:cut]).status == 204
    store = Store.open(cluster["settings"])
    try:
        staged = store.blobs.staging().key(url.rsplit("/", 1)[1])
        assert [k for k in _objects(store, staged) if not k.endswith(f".tail-{cut}")] == []
        last = _patch(b, token, url, cut, footage[cut:])
        assert last.status == 204, last.getheader("LiuHen-Reason")
        assert last.getheader("LiuHen-Result") == "new"
        assert last.getheader("LiuHen-SHA256") == sha256
        assert list(_objects(store, staged)) == []
        assert list(_objects(store, store.blobs.key_for(sha256))) == [store.blobs.key_for(sha256)]
        sm3 = hashlib.new("sm3", footage).hexdigest()
        with store.read() as conn:
            row = conn.execute(select(t.blobs).where(t.blobs.c.sha256 == sha256)).mappings().one()
        assert row["sm3"] == sm3
        assert store.blobs.rehash(sha256) == (sha256, sm3, len(footage))
    finally:
        store.close()


def test_two_nodes_patching_the_same_offset_at_once_write_it_once(
    cluster: dict[str, Any], footage: bytes
) -> None:
    a, b = cluster["ports"]
    token = cluster["token"]
    url = _create(a, token, footage)
    chunk = footage[: 18 * MIB]
    answers: dict[int, http.client.HTTPResponse] = {}
    ready = threading.Barrier(2)

    def send(port: int) -> None:
        ready.wait()
        answers[port] = _patch(port, token, url, 0, chunk)

    threads = [threading.Thread(target=send, args=(p,)) for p in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status for r in answers.values())
    assert statuses[0] == 204 and statuses[1] in (409, 423), statuses
    head = _request(b, "HEAD", url, token)
    assert head.getheader("Upload-Offset") == str(len(chunk))  # not doubled
    last = _patch(b, token, url, len(chunk), footage[len(chunk) :])
    assert last.getheader("LiuHen-Result") == "new"
    assert last.getheader("LiuHen-SHA256") == hashlib.sha256(footage).hexdigest()


def _objects(store: Store, prefix: str) -> Iterator[str]:
    listed = store.blobs._client.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix)
    for item in listed.get("Contents", []):
        yield item["Key"]
