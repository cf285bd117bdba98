"""Reading one copy of the checkpoint log (``store/checkpoint_log.CheckpointLog.read``): its
lines parsed one at a time as they are iterated, up to the size the file had when it was
opened, a damaged line as None, a failure to read noted in ``error``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liuhen.ledger.checkpoint import (
    Checkpoint,
    checkpoint_to_dict,
    generate_key,
    key_fingerprint,
    sign_checkpoint,
)
from liuhen.ledger.note import log_entry
from liuhen.store.checkpoint_log import CheckpointLog, LogSource, newest_in


def _line(size: int) -> bytes:
    return (json.dumps({"tree_size": size}) + "\n").encode()


def test_lines_are_read_as_the_file_was_when_opened(tmp_path: Path) -> None:
    copy = tmp_path / "checkpoints.jsonl"
    copy.write_bytes(_line(1) + b"\n" + b"{not json\n" + _line(3))
    contents = CheckpointLog.read(LogSource(copy, False))
    with copy.open("ab") as f:  # appended after the reading began: not this reading's
        f.write(_line(4))
    lines = list(contents.lines)
    assert lines == [(1, {"tree_size": 1}), (3, None), (4, {"tree_size": 3})]
    assert contents.error is None and not contents.missing
    assert [n for n, _ in CheckpointLog.read(LogSource(copy, False)).lines] == [1, 3, 4, 5]


def test_a_cut_last_line_is_a_damaged_line_and_a_missing_file_is_missing(tmp_path: Path) -> None:
    copy = tmp_path / "checkpoints.jsonl"
    copy.write_bytes(_line(1) + _line(2)[:-6])  # a crash cut the last write
    assert list(CheckpointLog.read(LogSource(copy, False)).lines) == [
        (1, {"tree_size": 1}),
        (2, None),
    ]
    gone = CheckpointLog.read(LogSource(tmp_path / "none.jsonl", False))
    assert gone.missing and list(gone.lines) == []


def test_a_failure_while_reading_is_noted(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()  # opens, and reading it fails (IsADirectoryError)
    contents = CheckpointLog.read(LogSource(folder, False))
    assert list(contents.lines) == []
    assert contents.error is not None


def _signed(size: int, key: Any, *, origin: str = "liuhen.example/ledger") -> str:
    cp = Checkpoint(size, bytes(32), datetime(2026, 12, 7, 9, 0, tzinfo=UTC), origin)
    return json.dumps(log_entry(cp, sign_checkpoint(key, cp), key.public_key()))


def test_the_newest_checkpoint_of_a_copy_is_the_largest_that_reads_whole(tmp_path: Path) -> None:
    """``newest_in`` (asked by every command at start): the largest tree size among the lines
    that read as checkpoints, whatever their order; a line claiming more that does not read
    whole (its note reshaped, its size with a leading zero, a bare size) does not count."""
    key = generate_key()
    copy = tmp_path / "checkpoints.jsonl"
    forged = json.loads(_signed(90, key))
    forged["note"] = forged["note"].replace("\n\n", "\n")  # no blank line before the signature
    padded = json.loads(_signed(80, key))
    padded["note"] = padded["note"].replace("\n80\n", "\n080\n")
    older = checkpoint_to_dict(
        Checkpoint(7, bytes(32), datetime(2026, 12, 1, tzinfo=UTC), "liuhen.example/ledger"),
        sign_checkpoint(key, Checkpoint(7, bytes(32), datetime(2026, 12, 1, tzinfo=UTC), "o")),
        key_fingerprint(key),
    )
    lines = [
        _signed(5, key),
        json.dumps(older),
        _signed(12, key),  # appended out of order by two processes
        _signed(11, key),
        json.dumps(forged),
        json.dumps(padded),
        json.dumps({"tree_size": 70}),
        json.dumps({"note": "o\n" + "9" * 5000 + "\n"}),  # past int()'s digits
        "{not json",
    ]
    copy.write_text("\n".join(lines) + "\n", "utf-8")
    assert newest_in(copy) == 12
    copy.write_text("\n".join([json.dumps(older), json.dumps(forged)]) + "\n", "utf-8")
    assert newest_in(copy) == 7
    copy.write_text("\n\n", "utf-8")
    assert newest_in(copy) == -1
    assert newest_in(tmp_path / "none.jsonl") is None
