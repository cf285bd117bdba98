"""The same bytes stored by four processes at once (two officers attaching one photo, an
import run twice): every one succeeds, the file is registered once with one ``blob.stored``
event, and the store verifies."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from liuhen.ledger.events import Actor
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import ops
from tests.helpers import SYSTEM

STORE_FILE = "liuhen.services.cases.files:store_file"
OFFICER = Actor(id=None, label="执法人员", roles=("officer",))


def test_one_file_stored_four_times_at_once_is_registered_once(
    store, tmp_path: Path, racers
) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64)
    results = racers.race(store, ops.call, STORE_FILE, OFFICER, photo)
    assert results.codes == {"ok": 4}, results
    told = {value.split("sha256='")[1][:64] for value in results.values()}
    assert len(told) == 1  # each was told of the same stored file
    with store.read() as conn:
        rows = conn.execute(select(func.count()).select_from(t.blobs)).scalar()
        stored = conn.execute(
            select(func.count()).where(t.ledger_events.c.action == "blob.stored")
        ).scalar()
    assert (rows, stored) == (1, 1)
    assert verify(store, SYSTEM).ok
