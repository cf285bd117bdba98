"""The one-pass dual hasher agrees with hashlib however the stream is cut."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading

import pytest

from liuhen.store.blobs.hashing import DualHasher, hash_stream

DATA = os.urandom(5 * 1024 * 1024 + 333)
EXPECTED = (hashlib.sha256(DATA).hexdigest(), hashlib.new("sm3", DATA).hexdigest())


@pytest.mark.parametrize("threaded", [True, False])
@pytest.mark.parametrize("chunk", [1, 4096, 1024 * 1024, len(DATA)])
def test_dual_hasher_matches_hashlib_for_any_chunking(threaded, chunk):
    view = DATA if chunk > 1 else DATA[:5000]  # byte-by-byte on a short prefix only
    hasher = DualHasher(threaded=threaded)
    for i in range(0, len(view), chunk):
        hasher.update(view[i : i + chunk])

    expected = EXPECTED if chunk > 1 else (
        hashlib.sha256(view).hexdigest(), hashlib.new("sm3", view).hexdigest()
    )  # fmt: skip
    assert hasher.hexdigests() == expected
    assert hasher.hexdigests() == expected  # finishing twice gives the same pair
    assert hasher.size == len(view)


def test_a_reused_buffer_is_hashed_as_it_was_when_passed():
    buffer = bytearray(DATA[: 1024 * 1024])
    hasher = DualHasher()
    hasher.update(buffer)
    buffer[:] = bytes(len(buffer))  # the caller reuses its buffer at once

    assert hasher.hexdigests() == (
        hashlib.sha256(DATA[: 1024 * 1024]).hexdigest(),
        hashlib.new("sm3", DATA[: 1024 * 1024]).hexdigest(),
    )


def test_update_after_finishing_is_an_error():
    hasher = DualHasher()
    hasher.hexdigests()

    with pytest.raises(RuntimeError):
        hasher.update(b"late")


def test_an_abandoned_hasher_stops_its_worker_thread():
    before = threading.active_count()
    with DualHasher() as hasher:
        hasher.update(DATA)
        assert threading.active_count() == before + 1

    assert threading.active_count() == before


def test_hash_stream_returns_both_digests_and_the_size():
    assert hash_stream(io.BytesIO(DATA), 65536) == (*EXPECTED, len(DATA))


def test_a_saved_sha256_state_resumed_elsewhere_gives_hashlibs_digest() -> None:
    """An upload's running SHA-256 travels in its row: saved after any number of bytes and
    resumed in a new object (another process would do the same), it digests as hashlib."""
    from liuhen.store.blobs.resumable_sha256 import FORMAT, ResumableSHA256, available

    assert available()
    data = os.urandom(3 * 1024 * 1024 + 77)
    for cut in (0, 1, 63, 64, 65, 1 << 20, len(data)):
        first = ResumableSHA256()
        first.update(data[:cut])
        saved = json.loads(json.dumps(first.saved()))  # as the row stores it
        second = ResumableSHA256.resume(saved)
        assert second is not None
        second.update(data[cut:])
        assert second.hexdigest() == hashlib.sha256(data).hexdigest()
        assert second.hexdigest() == second.hexdigest()  # finishing does not spoil the state
    assert ResumableSHA256.resume({"format": "other", "state": saved["state"]}) is None
    assert ResumableSHA256.resume({"format": FORMAT, "state": "00ff"}) is None
    assert ResumableSHA256.resume({}) is None


def test_a_dual_hasher_without_sm3_continues_a_resumed_sha256() -> None:
    from liuhen.store.blobs.resumable_sha256 import ResumableSHA256

    data = os.urandom(5 << 20)
    head = ResumableSHA256()
    head.update(data[:12345])
    with DualHasher(sha256=ResumableSHA256(head.state()), sm3=False) as hasher:
        hasher.update(data[12345:])
        assert hasher.hexdigests() == (hashlib.sha256(data).hexdigest(), "")
