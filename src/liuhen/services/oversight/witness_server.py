"""The witness side (``liuhen witness serve``): a supervising agency cosigns the checkpoints
of the ledgers it witnesses, after checking each extends the last one it saw.

``add_checkpoint`` is C2SP tlog-witness's ``add-checkpoint``; ``log_state`` (LiuHen's
``GET /liuhen/log``) shows what the witness holds for a log, so the log's ``verify`` can
compare; ``rotate_key`` (``POST /liuhen/rotate``) moves a log's pinned key on a rotation
statement signed by the pinned key. ``trust`` pins a log's key from the command line.
Refused checkpoints are kept in ``refused.jsonl`` as evidence.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from liuhen.errors import ConfigError
from liuhen.ledger.cosignature import cosign, parse_add_checkpoint
from liuhen.ledger.note import COSIGNATURE_V1, parse_note, parse_vkey, vkey
from liuhen.ledger.rotation import parse_rotation
from liuhen.ledger.witnessing import LogState, Verdict, advance, judge, rotate
from liuhen.store.witness_files import WitnessFiles


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class WitnessServer:
    def __init__(self, files: WitnessFiles, name: str | None = None) -> None:
        self.files = files
        self.key = files.key()
        self.name = files.name(name)
        self.vkey = vkey(self.name, self.key, COSIGNATURE_V1)

    def trust(self, log_vkey: str) -> LogState:
        """Pin ``log_vkey`` for its origin (the name in the vkey). A log already pinned to
        another key is refused: a new key is accepted only through a rotation statement."""
        try:
            verifier = parse_vkey(log_vkey)
        except ValueError as exc:
            raise ConfigError(f"--log: {log_vkey!r} 不是日志公钥（vkey）：{exc}") from None

        def decide(old: LogState | None) -> tuple[LogState | None, LogState]:
            if old is None:
                new = LogState(verifier.name, (verifier.text,))
                return new, new
            if verifier.text not in old.keys:
                raise ConfigError(
                    f"--log: 日志 {verifier.name} 已固定另一密钥，新密钥只能通过旧密钥签名的轮换声明更换"
                )
            return old, old

        state: LogState = self.files.update(verifier.name, decide)
        return state

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            request = parse_add_checkpoint(body)
        except ValueError as exc:
            return Answer(400, f"请求格式有误：{exc}\n")
        origin = request.note.text.split("\n", 1)[0]

        def decide(old: LogState | None) -> tuple[LogState | None, tuple[Verdict, str]]:
            verdict = judge(old, request)
            if not verdict.ok or old is None or verdict.checkpoint is None:
                return old, (verdict, "")
            line = cosign(self.key, self.name, request.note, int(time.time()))
            cosigned = request.note.with_signatures([line])
            return advance(old, verdict.checkpoint, cosigned), (verdict, line.line())

        verdict, line = self.files.update(origin, decide)
        if verdict.ok:
            return Answer(200, line)
        if verdict.status in (403, 409, 422):
            self._refused(origin, request.old_size, request.note.render(), verdict)
        if verdict.status == 409:
            return Answer(409, verdict.message + "\n", "text/x.tlog.size")
        return Answer(verdict.status, verdict.message + "\n")

    def _refused(self, origin: str, old_size: int, note: str, verdict: Verdict) -> None:
        self.files.refused(
            {
                "at": datetime.now(UTC).isoformat(),
                "origin": origin,
                "status": verdict.status,
                "reason": verdict.message,
                "old_size": old_size,
                "checkpoint": note,
            }
        )

    def log_state(self, origin: str) -> Answer:
        state = self.files.load(origin)
        if state is None:
            return Answer(404, f"本见证不认识日志 {origin}\n")
        payload = {**state.to_dict(), "witness": self.vkey}
        return Answer(200, json.dumps(payload, ensure_ascii=False), "application/json")

    def rotate_key(self, body: bytes) -> Answer:
        try:
            rotation = parse_rotation(parse_note(body.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as exc:
            return Answer(400, f"密钥轮换声明格式有误：{exc}\n")

        def decide(old: LogState | None) -> tuple[LogState | None, str]:
            return rotate(old, rotation)

        why: str = self.files.update(rotation.origin, decide)
        if why:
            return Answer(403, why + "\n")
        return Answer(200, "ok\n")
