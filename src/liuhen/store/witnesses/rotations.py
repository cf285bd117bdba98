"""The key rotation statements of this ledger, kept beside the witness registry
(``<data dir>/witnesses/rotations.jsonl``) so a witness that missed one is shown it when it
refuses a checkpoint signed by the new key. The ledger holds the same statements."""

from __future__ import annotations

import json
from pathlib import Path

from liuhen.store.checkpoint_log import append_line

FILE = "rotations.jsonl"


def append(folder: Path, statement: str) -> None:
    append_line(folder / FILE, {"statement": statement})


def read(folder: Path) -> list[str]:
    try:
        lines = (folder / FILE).read_text("utf-8").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            found.append(str(json.loads(line)["statement"]))
        except (ValueError, KeyError, TypeError):
            continue
    return found
