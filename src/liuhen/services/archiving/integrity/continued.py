"""``liuhen verify --since-last``: the ledger checked from where the last recorded run left
it, reading only the events written since.

A run that found the store intact records itself (``record_verification``): the events it
checked, the root of their tree and the chain hash of the last of them. That record is an
event like any other, written after them, so the next run reads it among the new events
and checks it as it checks them: its digest, its link, its leaf in the tree the newer
checkpoints sign. From it this run continues:

- the older tree is its *frontier* (``ledger.frontier``), a few nodes read from the stored
  tiles and bound by the recorded root: a frontier that folds to another root is a finding;
- the chain continues from the recorded chain hash: the first new event must link to it;
- every new event is recomputed and checked as the full run checks it (``ledger``), the
  checkpoints signed from the recorded size on are checked against the continued tree, in
  the database, outside it and at each witness, and so are the tiles that hold new leaves;
- event #0 and the key rotations and witnesses registered before are read by their index,
  and the key they name for the recorded size must be the one the last run recorded.

What it leaves to the full run: the older events themselves (an edit of an event older than
the last run, with its tiles left alone, is found by the full run: every root since would
still fold from the same frontier), the rows no new event wrote, the files no new event
registered, and the derived tables. So the full run stays the default; ``--since-last``
is the frequent one between (hourly, say), and anything it finds, or a record it cannot
continue from, makes it run in full, so every finding is named as the full run names it.

It holds 64 bytes for each new event (``ContinuedTree``), so after more than
``CONTINUE_MAX`` new events the full run, whose memory is flat, is run instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from liuhen.ledger.frontier import ContinuedTree
from liuhen.ledger.tiles import TiledTree, tiles_for
from liuhen.services.archiving.integrity.plain import LedgerScan
from liuhen.services.archiving.integrity.report import VerifyReport
from liuhen.services.archiving.integrity.signed import Signer
from liuhen.services.archiving.queries.integrity import (
    frontier_tiles,
    last_verification,
    ledger_end,
    noted_events_below,
)
from liuhen.store.store import Store

CONTINUE_MAX = 1_000_000
"""New events at most that a run continues over (64 MB of tree); more: a full run."""
NOTED = ("ledger.key_rotated", "witness.added")
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Base:
    """Where the last recorded run left the ledger: its event's seq, the events it checked,
    their tree's root, the last one's chain hash, the signing key then, and when."""

    seq: int
    size: int
    root: bytes
    chain: str
    key_fingerprint: str | None
    checked_at: str


def last_base(store: Store) -> Base | str:
    """The base the last recorded run left, or why there is none to continue from (a note:
    the full run is run instead)."""
    last, newest = last_verification(store), ledger_end(store)
    if last is None:
        return "没有已记录的校验可以续接：进行完整校验"
    seq, r = last["seq"], last["report"]
    size, root, chain = r.get("events"), r.get("tree_root"), r.get("chain_hash")
    if not (isinstance(root, str) and _HEX.fullmatch(root) and isinstance(chain, str)):
        return f"上次校验（事件 #{seq}）未记下可续接的树根与链哈希（升级前所记）：进行完整校验"
    if not (type(size) is int and 0 < size <= seq and _HEX.fullmatch(chain)):
        return f"上次校验（事件 #{seq}）记下的事件数不合理：进行完整校验"
    if newest - size > CONTINUE_MAX:
        return (
            f"上次校验后已有 {newest - size} 条新事件（超过 {CONTINUE_MAX} 条，增量校验占用内存"
            "随之增长）：进行完整校验"
        )
    fingerprint = r.get("key_fingerprint")
    return Base(
        seq,
        size,
        bytes.fromhex(root),
        chain,
        fingerprint if isinstance(fingerprint, str) else None,
        str(r.get("checked_at") or last["occurred_at"]),
    )


def continue_scan(store: Store, report: VerifyReport, base: Base, *, bound: bool) -> LedgerScan:
    """A scan that continues from ``base``: its tree the frontier read from the stored tiles
    (a finding when they do not fold to the recorded root), its chain from the recorded
    hash, and what the older events said that the rest of the run needs. With a finding
    the scan holds nothing and the caller runs in full."""
    keys = tiles_for(base.size, lambda tree: tree.frontier())
    try:
        frontier = TiledTree(base.size, frontier_tiles(store, keys)).frontier()
    except (KeyError, ValueError):
        report.add(
            "ledger_tiles_missing",
            "ledger_tiles",
            f"前 {base.size} 条事件的 Merkle 树瓦片缺失或短缺（被删除或截短）：无法续接上次校验",
        )
        return LedgerScan(bound=bound)
    tree = ContinuedTree(base.size, frontier)
    if tree.root() != base.root:
        report.add(
            "ledger_tile_altered",
            "ledger_tiles",
            f"由 Merkle 树瓦片得出的前 {base.size} 条事件的根，与上次校验（事件 #{base.seq}）"
            "记下的不符：瓦片在上次校验后被改动",
        )
        return LedgerScan(bound=bound)
    scan = LedgerScan(tree=tree, expected=base.size, prev=base.chain, bound=bound)
    for row in noted_events_below(store, base.size, NOTED):
        seq, action, payload = row.values["seq"], row.values["action"], row.values["payload"]
        if row.problems or seq is None:
            report.add(
                "ledger_cell_malformed",
                f"ledger_events#{row.raw['seq']}",
                "日志事件的单元格无法解读（被改动）",
            )
            return LedgerScan(bound=bound)
        if seq == 0 and isinstance(payload, dict):
            scan.genesis = payload
        elif action == NOTED[0]:
            scan.rotations.append((seq, payload))
        elif action == NOTED[1]:
            scan.witnesses.append((seq, payload))
    return scan


def bind_key(report: VerifyReport, signer: Signer, base: Base) -> None:
    """The key the ledger names for the base's size must be the one the last run recorded:
    else event #0 or a rotation older than the base was changed since (the new checkpoints
    would be checked with a key of the changer's choosing)."""
    named = signer.key_for(base.size).fingerprint
    if base.key_fingerprint is not None and named != base.key_fingerprint:
        report.add(
            "key_fingerprint_mismatch",
            "ledger_events#0",
            f"日志现在为前 {base.size} 条事件所记的签名密钥 {named}，不是上次校验"
            f"（事件 #{base.seq}）时的 {base.key_fingerprint}：事件 #0 或此前的密钥轮换记录被改动",
        )
