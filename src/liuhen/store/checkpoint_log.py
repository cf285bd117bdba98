"""Signed checkpoints kept outside the database: a JSON-lines file and optional witnesses.

If the whole database is rolled back to an earlier state, these copies still hold the
later checkpoints, and ``liuhen verify`` reports a tree that is smaller than one it
already signed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class CheckpointLog:
    def __init__(self, path: Path, witness_dirs: tuple[Path, ...] = ()) -> None:
        self.path = path
        self.witness_dirs = witness_dirs

    def append(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        for target in (self.path, *(d / "checkpoints.jsonl" for d in self.witness_dirs)):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def entries(self) -> list[tuple[str, int, dict[str, Any] | None]]:
        """(source, line number, entry or None when the line is not valid JSON)."""
        out: list[tuple[str, int, dict[str, Any] | None]] = []
        for source in (self.path, *(d / "checkpoints.jsonl" for d in self.witness_dirs)):
            if not source.exists():
                continue
            for number, line in enumerate(source.read_text("utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    out.append((str(source), number, json.loads(line)))
                except json.JSONDecodeError:
                    out.append((str(source), number, None))
        return out
