"""The checkpoint log cannot be written right after a commit (a full disk): the write stands
(committed and signed, the next start adds the missing line), and whoever asked is told so in
one message, never "nothing saved" (an ``OSError`` reached the web as its internal-error page,
which says nothing was saved, inviting the officer to save the form again). SQLite and
PostgreSQL (``store``)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.helpers import SYSTEM

from liuhen.errors import StorageError
from liuhen.store import checkpoint_log
from liuhen.store import tables as t
from liuhen.store.recovery import catch_up_checkpoint_log


def _full_disk(monkeypatch, store) -> list[Path]:  # type: ignore[no-untyped-def]
    refused: list[Path] = []
    real = checkpoint_log.append_line

    def append_line(target: Path, entry: dict) -> None:  # type: ignore[type-arg]
        if target == store.checkpoint_log.path:
            refused.append(target)
            raise OSError(errno.ENOSPC, "No space left on device")
        real(target, entry)

    monkeypatch.setattr(checkpoint_log, "append_line", append_line)
    return refused


def _events(store, subject: str) -> int:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.ledger_events)
                .where(t.ledger_events.c.subject_id == subject)
            ).scalar_one()
        )


def test_a_write_whose_checkpoint_copy_fails_is_saved_and_says_so(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    refused = _full_disk(monkeypatch, store)
    with pytest.raises(StorageError) as told:
        with store.transaction(SYSTEM) as tx:
            tx.record("ledger.checkpointed", subject_type="ledger", subject_id="full-disk")
    assert refused and "本次操作已保存" in told.value.message
    assert "No space left on device" in told.value.message
    assert str(store.checkpoint_log.path) in told.value.message
    assert _events(store, "full-disk") == 1
    with pytest.raises(StorageError) as viewed:
        store.record_view(SYSTEM, "case.viewed", subject_type="case", subject_id="full-disk-view")
    assert "本次操作已保存" in viewed.value.message
    assert _events(store, "full-disk-view") == 1
    monkeypatch.undo()  # the disk has room again: the next start adds the lines
    assert catch_up_checkpoint_log(store) == {str(store.checkpoint_log.path): 2}
