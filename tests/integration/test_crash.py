"""SIGKILL during ingest, at many random points: no row without a blob, nothing committed lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from liuhen.ledger.events import Actor
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.services.archiving.recovery import recover
from liuhen.store import tables as t
from liuhen.store.store import Store

DRIVER = """
import sys
from pathlib import Path
from liuhen.config import Settings
from liuhen.ledger.events import Actor
from liuhen.services.archiving.recovery import recover
from liuhen.services.cases.files import store_file
from liuhen.store.store import Store

store = Store.open(Settings.from_env())
recover(store)  # as every command's start does: settle what the last kill left
print("ready", flush=True)
for path in sorted(Path(sys.argv[1]).iterdir()):
    info = store_file(store, Actor.system("断电测试"), path)
    print("committed", info.sha256, flush=True)
"""

pytestmark = pytest.mark.slow


def _env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        **os.environ,
        "LIUHEN_DATA_DIR": str(settings.data_dir),
        "LIUHEN_DATABASE_URL": settings.database_url,
    }


def test_sigkill_at_random_points_leaves_store_consistent(settings, tmp_path: Path):
    initialise(settings, admin_password="Admin-pass-2026")
    rng = random.Random(20261123)
    committed: set[str] = set()
    kills = 0
    for trial in range(10):
        batch = tmp_path / f"batch{trial}"
        batch.mkdir()
        for i in range(3):
            (batch / f"seg{i}.mp4").write_bytes(rng.randbytes(rng.randint(2, 8) << 20))
        proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(batch)],
            env=_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        time.sleep(rng.uniform(0.0, 0.35))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        out, _err = proc.communicate()
        committed |= {line.split()[1] for line in out.splitlines() if line.startswith("committed")}
    assert kills >= 5, "the process finished before most kills; make the inputs larger"

    store = Store.open(settings)
    try:
        settled = recover(store)  # the next start settles what the kill left (every command)
        assert settled.failed == [], settled.failed
        with store.read() as conn:
            rows = {r.sha256: r for r in conn.execute(select(t.blobs))}
        assert committed <= set(rows), "a commit that was acknowledged is missing"
        for sha in rows:
            assert store.blobs.exists(sha), f"row without blob: {sha}"
        report = verify(store, Actor.system("校验"))
        assert report.ok, report.problems
    finally:
        store.close()
