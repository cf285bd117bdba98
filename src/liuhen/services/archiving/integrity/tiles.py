"""The stored Merkle tree (``ledger_tiles``), recomputed and compared: proofs are served
from the tiles, so a tile that differs from the tree of the events' recomputed leaves would
hand out proofs that fail (or, with a forged key, pass over a forged history). Every tile
must hold exactly the hashes the recomputed tree has at its place; a tile may run past the
events this run read (a write committed meanwhile extends it), and it is not compared there,
but never past the events stored when the tiles were read.
A tile missing where the tree has entries is named too (a store upgraded from before tiles
gets them from ``liuhen init``, and every write extends them, so none is missing otherwise).
A full tile's stored inner nodes must be exactly the recomputed tree's nodes at their
heights (held in memory by ``RecomputedTree``: the check costs no hashing); a partial tile
has none. Proofs do not trust them over the entries, but a wrong copy is still a change.
"""

from __future__ import annotations

from liuhen.ledger.frontier import ContinuedTree
from liuhen.ledger.merkle import HASH_SIZE
from liuhen.ledger.tiles import (
    FULL_TILE,
    INNER_LOW,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileKey,
    edge_keys,
    level_count,
)
from liuhen.services.archiving.integrity.recomputed import RecomputedTree
from liuhen.services.archiving.integrity.report import VerifyReport
from liuhen.store.store import Store
from liuhen.store.tile_rows import events_end, stored_tile_rows

ALTERED = "ledger_tile_altered"


def _expected(size: int, base: int = 0) -> set[TileKey]:
    """Every tile a tree of ``size`` leaves has: each level's, up to its rightmost (from
    ``base`` on: those that hold an entry over a leaf from ``base`` on)."""
    return {
        (level, i)
        for level, last in edge_keys(size)
        for i in range(level_count(base, level) >> TILE_HEIGHT, last + 1)
    }


def check_tiles(store: Store, report: VerifyReport, tree: RecomputedTree | ContinuedTree) -> None:
    """Every stored tile against ``tree``; a continued tree's (``continued``): only the
    entries over leaves from its base on, in the tiles that hold them."""
    size, base = tree.size, tree.base
    missing = _expected(size, base)
    beyond: list[tuple[str, int, int]] = []  # tiles reaching past ``size``: checked last
    with store.read() as conn:
        for (level, index), stored, inner in stored_tile_rows(conn, reaching=base):
            missing.discard((level, index))
            name = f"ledger_tiles#{level}/{index}"
            first = index * TILE_WIDTH
            older = max(0, min(level_count(base, level) - first, TILE_WIDTH))
            expected = tree.nodes(TILE_HEIGHT * level, first + older, TILE_WIDTH - older)
            hashes, first = stored[older * HASH_SIZE :], first + older
            if len(stored) % HASH_SIZE or len(stored) > TILE_WIDTH * HASH_SIZE:
                report.add(ALTERED, name, "Merkle 树瓦片的长度不是整数个哈希（被改动）")
            elif hashes[: len(expected)] != expected[: len(hashes)]:
                report.add(ALTERED, name, _differs(level, first, hashes, expected))
            elif len(hashes) < len(expected):
                report.add(ALTERED, name, "Merkle 树瓦片短于日志（被截短）：其中的证明无法给出")
            elif len(hashes) > len(expected):
                beyond.append((name, level, first + len(hashes) // HASH_SIZE))
            if older:  # inner nodes over older leaves: checked by the run continued from
                continue
            if inner is not None and not _inner_agrees(tree, level, index, hashes, inner):
                report.add(ALTERED, name, "Merkle 树瓦片存储的内部节点与重算的树不符（被改动）")
        end = events_end(conn) if beyond else size  # read after the tiles
    for name, level, reach in beyond:
        if reach > level_count(max(end, size), level):
            report.add(ALTERED, name, "Merkle 树瓦片中有日志里没有的事件的哈希（被改动）")
    for level, index in sorted(missing)[:20]:
        report.add(
            "ledger_tiles_missing",
            f"ledger_tiles#{level}/{index}",
            "Merkle 树瓦片缺失（被删除，或升级后尚未运行 liuhen init）：其中的证明无法给出",
        )


def _inner_agrees(
    tree: RecomputedTree | ContinuedTree, level: int, index: int, hashes: bytes, inner: bytes
) -> bool:
    """Whether a tile's stored inner nodes are the recomputed tree's (a partial tile has
    none; a full one that reaches past the events this run read is not compared here)."""
    if len(hashes) != FULL_TILE:
        return False
    if level_count(tree.size, level) < (index + 1) * TILE_WIDTH:
        return True
    base = TILE_HEIGHT * level
    return inner == b"".join(
        tree.nodes(base + r, (index * TILE_WIDTH) >> r, TILE_WIDTH >> r)
        for r in range(INNER_LOW, TILE_HEIGHT)
    )


def _differs(level: int, first: int, hashes: bytes, expected: bytes) -> str:
    at = (
        next(
            i
            for i in range(0, min(len(hashes), len(expected)), HASH_SIZE)
            if hashes[i : i + HASH_SIZE] != expected[i : i + HASH_SIZE]
        )
        // HASH_SIZE
    )
    leaves = 1 << (TILE_HEIGHT * level)
    lo = (first + at) * leaves
    return (
        f"Merkle 树瓦片与由日志事件重算的树不符（被改动），自第 {first % TILE_WIDTH + at} 项起"
        f"（事件 #{lo} 起）：按它给出的证明不成立"
    )
