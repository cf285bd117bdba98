"""Sending each signed checkpoint to the registered witnesses, after its transaction commits.

A witness that is down or refuses never makes a write fail: the failure is logged (logger
``liuhen.witness``), the witness is left alone for ``BACKOFF`` seconds, and it catches up
with the next checkpoint sent (a witness only needs the newest one, with a consistency proof
from the last it cosigned) or at the next start (``catch_up``). ``liuhen verify`` reports a
witness that lags, has lost the log, disagrees or refused.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from liuhen.ledger.checkpoint import Checkpoint
from liuhen.ledger.cosignature import add_checkpoint_body, cosigned_at
from liuhen.ledger.note import Note, parse_note, parse_vkey
from liuhen.store.witnesses import (
    REGISTRY,
    S3WitnessError,
    WitnessSpec,
    read_registry,
    rotations,
)
from liuhen.store.witnesses import cosigned as cosigned_file
from liuhen.store.witnesses.http import HttpWitness, WitnessUnreachable

if TYPE_CHECKING:  # boto3 is imported only where a bucket is used
    from liuhen.store.witnesses.s3 import S3Witness

log = logging.getLogger("liuhen.witness")
BACKOFF = 30.0
"""Seconds a witness that did not answer is left alone before the next attempt."""

Proof = Callable[[int, int], list[bytes]]
S3Factory = Callable[[str], "S3Witness"]


class Publisher:
    def __init__(self, folder: Path, proof: Proof, s3: S3Factory) -> None:
        self.folder = folder
        self.proof = proof
        self.s3 = s3
        self._down: dict[str, float] = {}
        self._sizes: dict[str, int] = {}
        self._lock = threading.Lock()
        self.last_error: dict[str, str] = {}
        self._specs: tuple[tuple[int, int] | None, list[WitnessSpec]] | None = None

    def specs(self) -> list[WitnessSpec]:
        """The registered witnesses (the file is read again only when it changed)."""
        try:
            stat = (self.folder / REGISTRY).stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        if self._specs is not None and self._specs[0] == stamp:
            return self._specs[1]
        try:
            specs = read_registry(self.folder)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("见证登记文件无法读取：%s", exc)
            specs = []
        self._specs = (stamp, specs)
        return specs

    def cosigned_path(self, spec: WitnessSpec) -> Path:
        return self.folder / f"{spec.file_name}.jsonl"

    def publish(self, cp: Checkpoint, note: Note, *, force: bool = False) -> dict[str, str]:
        """Send ``note`` to every witness not backing off (``force``: to all); returns each
        witness's outcome (``ok`` or why not)."""
        outcome: dict[str, str] = {}
        for spec in self.specs():
            if not force and self._down.get(spec.name, 0.0) > time.monotonic():
                outcome[spec.name] = "backing off"
                continue
            try:
                self._send(spec, cp, note)
                self._down.pop(spec.name, None)
                self.last_error.pop(spec.name, None)
                outcome[spec.name] = "ok"
            except (WitnessUnreachable, S3WitnessError, OSError, ValueError) as exc:
                self._down[spec.name] = time.monotonic() + BACKOFF
                self.last_error[spec.name] = str(exc)
                outcome[spec.name] = str(exc)
                log.warning("见证 %s 未能收到检查点 @%d：%s", spec.name, cp.tree_size, exc)
        return outcome

    def _send(self, spec: WitnessSpec, cp: Checkpoint, note: Note) -> None:
        if spec.kind == "dir":
            from liuhen.store.checkpoint_log import append_line, newest_in

            target = Path(spec.target) / "checkpoints.jsonl"
            if (newest_in(target) or -1) < cp.tree_size:  # a start sends the newest again
                append_line(target, {"note": note.render()})
        elif spec.kind == "s3":
            self.s3(spec.target).put(cp.origin, cp.tree_size, note.render())
        else:
            with self._lock:
                self._send_http(spec, cp, note)

    def _known_size(self, spec: WitnessSpec) -> int:
        if spec.name not in self._sizes:
            self._sizes[spec.name] = cosigned_file.newest_size(self.cosigned_path(spec))
        return self._sizes[spec.name]

    def _send_http(self, spec: WitnessSpec, cp: Checkpoint, note: Note) -> None:
        client = HttpWitness(spec.target)
        old = min(self._known_size(spec), cp.tree_size)
        shown = False
        for _attempt in range(3):
            if old > cp.tree_size:
                raise ValueError(
                    f"见证已见规模 {old} 大于本检查点 {cp.tree_size}（数据库被回滚？）"
                )
            proof = self.proof(old, cp.tree_size) if old else []
            reply = client.add_checkpoint(add_checkpoint_body(old, proof, note))
            if reply.status == 409 and reply.body.strip().isdigit():
                old = int(reply.body.strip())
                continue
            if reply.status == 403 and not shown and rotations.read(self.folder):
                shown = True  # a key it has not pinned yet: show it the rotations, once
                for statement in rotations.read(self.folder):
                    client.rotate(statement)
                continue
            break
        if reply.status != 200:
            raise ValueError(f"见证拒绝（HTTP {reply.status}）：{reply.body.strip()[:300]}")
        witness = parse_vkey(spec.vkey or "")
        lines = parse_note(note.text + "\n" + reply.body).signatures
        cosigned = note.with_signatures(list(lines))
        when = cosigned_at(cosigned, witness)
        if when is None or when is False:
            raise ValueError("见证的答复中没有其公钥的有效副署")
        cosigned_file.append(self.cosigned_path(spec), cosigned)
        self._sizes[spec.name] = cp.tree_size

    def announce_rotation(self, statement: str) -> dict[str, str]:
        """Show every HTTP witness a key rotation statement; returns each one's answer."""
        answers: dict[str, str] = {}
        for spec in self.specs():
            if spec.kind != "http":
                continue
            try:
                reply = HttpWitness(spec.target).rotate(statement)
                answers[spec.name] = "ok" if reply.status == 200 else reply.body.strip()
            except WitnessUnreachable as exc:
                answers[spec.name] = str(exc)
                log.warning("见证 %s 未能收到密钥轮换声明：%s（之后补发）", spec.name, exc)
        return answers
