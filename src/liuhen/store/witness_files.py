"""A witness's own files (``liuhen witness serve``), under ``<data dir>/witness/``.

- ``witness-ed25519.pem``: the witness's cosigning key (``store.keys``, created once);
- ``name``: the witness's key name (a schema-less URL-like name, printed in its vkey);
- ``logs/<hash of origin>.json``: per log, the keys it trusts and the newest checkpoint it
  cosigned (``ledger.witnessing.LogState``), replaced whole (temporary file, fsync, rename);
- ``refused.jsonl``: each refused checkpoint with its reason, evidence of a log's misbehaviour.

Checking a request against the state and saving the new state happen under one lock
(``update``), as tlog-witness requires, so two requests cannot roll the state back.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.ledger.checkpoint import key_fingerprint
from liuhen.ledger.witnessing import LogState
from liuhen.store.keys import load_or_create_key

_THREAD_LOCK = threading.Lock()


class WitnessFiles:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def key(self) -> Ed25519PrivateKey:
        return load_or_create_key(self.root / "witness-ed25519.pem")

    def name(self, wanted: str | None = None) -> str:
        """The witness's key name: ``wanted`` (saved), else the saved one, else one made
        from its key's fingerprint."""
        path = self.root / "name"
        if wanted:
            self._write(path, wanted.encode("utf-8"))
            return wanted
        try:
            return path.read_text("utf-8").strip()
        except FileNotFoundError:
            made = "liuhen-witness/" + key_fingerprint(self.key()).removeprefix("SHA256:")[:16]
            self._write(path, made.encode("utf-8"))
            return made

    def _path(self, origin: str) -> Path:
        return self.root / "logs" / (hashlib.sha256(origin.encode()).hexdigest()[:32] + ".json")

    def load(self, origin: str) -> LogState | None:
        try:
            data = json.loads(self._path(origin).read_text("utf-8"))
        except FileNotFoundError:
            return None
        return LogState.from_dict(data)

    def states(self) -> list[LogState]:
        folder = self.root / "logs"
        if not folder.is_dir():
            return []
        return [
            LogState.from_dict(json.loads(p.read_text("utf-8")))
            for p in sorted(folder.glob("*.json"))
        ]

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One writer at a time, in this process and across processes."""
        self.root.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK, open(self.root / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def update(
        self, origin: str, decide: Callable[[LogState | None], tuple[LogState | None, Any]]
    ) -> Any:
        """Read the state of ``origin``, let ``decide`` answer and give the new state, and
        save it when it changed; all under the lock. Returns ``decide``'s answer."""
        with self.locked():
            old = self.load(origin)
            new, answer = decide(old)
            if new is not None and new != old:
                self.save(new)
            return answer

    def save(self, state: LogState) -> None:
        self._write(self._path(state.origin), json.dumps(state.to_dict(), indent=1).encode())

    def refused(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "refused.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
