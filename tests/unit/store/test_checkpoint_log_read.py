"""Reading one copy of the checkpoint log (``store/checkpoint_log.CheckpointLog.read``): its
lines parsed one at a time as they are iterated, up to the size the file had when it was
opened, a damaged line as None, a failure to read noted in ``error``."""

from __future__ import annotations

import json
from pathlib import Path

from liuhen.store.checkpoint_log import CheckpointLog, LogSource


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
