"""A multi-gigabyte ingest runs in constant memory and hashes exactly what it stored."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.blobs.blobgen import blocks

# Past 2**31 (a 32-bit offset would wrap) and not a whole number of blocks (an off-by-one at the
# end would show). 2 GiB rather than 3 keeps the suite reasonable: SM3 runs twice over it.
SIZE = 2 * 1024**3 + 12345
PEAK_RSS_LIMIT_MIB = 150
CHILD = Path(__file__).with_name("blobgen.py")


@pytest.mark.slow
def test_two_gib_stream_is_ingested_in_constant_memory(tmp_path):
    root = tmp_path / "blobs"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), "stream", str(root), str(SIZE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # meanwhile, the same bytes through hashlib directly
    sha256, sm3 = hashlib.sha256(), hashlib.new("sm3")
    for data in blocks(SIZE):
        sha256.update(data)
        sm3.update(data)
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0, err

    result = json.loads(out)
    assert result["size"] == SIZE
    assert (result["sha256"], result["sm3"]) == (sha256.hexdigest(), sm3.hexdigest())
    assert result["peak_rss_kib"] / 1024 < PEAK_RSS_LIMIT_MIB, result
    stored = root / "sha256" / result["sha256"][:2] / result["sha256"][2:4] / result["sha256"]
    assert stored.stat().st_size == SIZE
