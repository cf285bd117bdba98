"""What a witness decides (C2SP ``tlog-witness`` ``add-checkpoint``), as pure functions.

For each log (by origin) a witness keeps the keys it trusts and the newest checkpoint it
cosigned (``LogState``). ``judge`` answers one add-checkpoint request the way the spec
says: 404 unknown origin, 403 no valid signature by a trusted key, 400 old size beyond the
new one, 409 old size not the one it holds (body: its size), 422 a proof that does not show
the new tree extends the old one (a fork, a rewritten history). Only a 200 moves the state
forward, so a witness never cosigns a tree smaller than or inconsistent with one it saw.
``rotate`` moves the trusted key only on a statement signed by the key pinned now.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace

from liuhen.ledger.checkpoint import Checkpoint
from liuhen.ledger.cosignature import AddCheckpoint
from liuhen.ledger.merkle import EMPTY_ROOT, verify_consistency
from liuhen.ledger.note import Note, Verifier, note_signed_by, parse_checkpoint_text, parse_vkey
from liuhen.ledger.rotation import Rotation, rotation_signed_by


@dataclass(frozen=True)
class LogState:
    """A witness's record of one log: trusted vkeys, the newest cosigned size and root, and
    that checkpoint as a note (with the cosignature), empty before the first."""

    origin: str
    keys: tuple[str, ...]
    size: int = 0
    root: bytes = EMPTY_ROOT
    note: str = ""

    def verifiers(self) -> list[Verifier]:
        return [parse_vkey(k) for k in self.keys]

    def to_dict(self) -> dict[str, object]:
        return {
            "origin": self.origin,
            "keys": list(self.keys),
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> LogState:
        keys = d["keys"]
        size, root, note = d["size"], d["root"], d["note"]
        if not isinstance(keys, list) or not isinstance(size, int):
            raise ValueError("witness state is malformed")
        if not isinstance(root, str) or not isinstance(note, str):
            raise ValueError("witness state is malformed")
        return cls(
            str(d["origin"]), tuple(str(k) for k in keys), size, base64.b64decode(root), note
        )


@dataclass(frozen=True)
class Verdict:
    status: int
    message: str
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


def judge(state: LogState | None, request: AddCheckpoint) -> Verdict:
    """The answer to ``request`` given the witness's ``state`` of the checkpoint's log."""
    try:
        cp = parse_checkpoint_text(request.note.text)
    except ValueError as exc:
        return Verdict(400, f"检查点格式有误：{exc}")
    if state is None or state.origin != cp.origin:
        return Verdict(404, f"本见证不认识日志 {cp.origin}")
    signed = [note_signed_by(request.note, v) for v in state.verifiers()]
    if False in signed or True not in signed:
        return Verdict(403, f"检查点没有本见证固定的日志密钥的有效签名（{cp.origin}）")
    if request.old_size > cp.tree_size:
        return Verdict(400, f"旧规模 {request.old_size} 大于检查点规模 {cp.tree_size}")
    if request.old_size != state.size:
        return Verdict(409, f"{state.size}")
    if cp.tree_size == 0 and cp.root_hash != EMPTY_ROOT:
        return Verdict(422, "空树的根哈希不对")
    if request.old_size == 0 and request.proof:
        return Verdict(422, "旧规模为 0 时一致性证明应为空")
    if not verify_consistency(state.size, cp.tree_size, state.root, cp.root_hash, request.proof):
        return Verdict(
            422,
            f"一致性证明不成立：规模 {cp.tree_size} 的树不是本见证已见规模 {state.size} 的树的"
            "延续（日志分叉或历史被改写）",
        )
    return Verdict(200, "", cp)


def advance(state: LogState, cp: Checkpoint, cosigned: Note) -> LogState:
    """The state after cosigning ``cp``."""
    return replace(state, size=cp.tree_size, root=cp.root_hash, note=cosigned.render())


def rotate(state: LogState | None, rotation: Rotation) -> tuple[LogState | None, str]:
    """The state trusting the rotation's new key instead of the pinned one, or an unchanged
    state and why it was refused."""
    if state is None or state.origin != rotation.origin:
        return state, f"本见证不认识日志 {rotation.origin}"
    if rotation.new_key.text in state.keys:
        return state, ""
    if not any(rotation_signed_by(rotation, v) for v in state.verifiers()):
        return state, "密钥轮换声明没有本见证固定的日志密钥的有效签名，拒绝更换"
    return replace(state, keys=(rotation.new_key.text,)), ""
