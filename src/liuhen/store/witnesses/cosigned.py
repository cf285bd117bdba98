"""The cosigned checkpoints a store received from one HTTP witness, a JSON line each
(``{"note": <the checkpoint note with the log's signature and the witness's cosignature>}``),
in ``<data dir>/witnesses/<name>.jsonl``. Cosignatures are self-authenticating (signed by the
witness's key), so the file needs no protection beyond being kept; ``verify`` checks each."""

from __future__ import annotations

import json
import os
from pathlib import Path

from liuhen.ledger.note import Note, parse_checkpoint_text, parse_note


def append(path: Path, note: Note) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"note": note.render()}, ensure_ascii=False) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> list[tuple[int, Note | None]]:
    """(line number, note or None when the line is damaged); a missing file is empty."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    found: list[tuple[int, Note | None]] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw.decode("utf-8"))
            found.append((number, parse_note(entry["note"])))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
            found.append((number, None))
    return found


def newest_size(path: Path) -> int:
    """The tree size of the newest readable cosigned checkpoint (0 when none)."""
    sizes = [0]
    for _number, note in read(path):
        if note is None:
            continue
        try:
            sizes.append(parse_checkpoint_text(note.text).tree_size)
        except ValueError:
            continue
    return max(sizes)


def at_size(path: Path, tree_size: int) -> Note | None:
    """The cosigned note of ``tree_size`` (the last one kept), if any."""
    found = None
    for _number, note in read(path):
        if note is None:
            continue
        try:
            if parse_checkpoint_text(note.text).tree_size == tree_size:
                found = note
        except ValueError:
            continue
    return found
