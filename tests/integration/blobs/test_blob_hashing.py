"""The one-pass dual hasher agrees with hashlib however the stream is cut."""

from __future__ import annotations

import hashlib
import io
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
