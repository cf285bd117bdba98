"""Property tests for the Merkle tree: proofs verify, forgeries do not, the cache is exact.

``MerkleTree`` is held to a plain transcription of the RFC 9162 §2.1 definitions (the
``ref_*`` functions below, O(n) per call). Leaves are distinct, so no forged proof can be
accidentally true.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liuhen.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 70
PROPERTY = settings(max_examples=100, deadline=None)
# O(n^2) reference work per example: fewer examples, every size and index in each.
EXHAUSTIVE = settings(max_examples=60, deadline=None)


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) (RFC 9162 §2.1.1)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(ref_root(leaves[:k]), ref_root(leaves[k:]))


def ref_inclusion(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (RFC 9162 §2.1.3.1)."""
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return ref_inclusion(index, leaves[:k]) + [ref_root(leaves[k:])]
    return ref_inclusion(index - k, leaves[k:]) + [ref_root(leaves[:k])]


def ref_consistency(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 9162 §2.1.4.1); empty when m is 0 or n."""
    if m in (0, len(leaves)):
        return []
    return _ref_subproof(m, leaves, True)


def _ref_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [ref_root(leaves)]
    k = _split(n)
    if m <= k:
        return _ref_subproof(m, leaves[:k], b) + [ref_root(leaves[k:])]
    return _ref_subproof(m - k, leaves[k:], False) + [ref_root(leaves[:k])]


def _leaves(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


@st.composite
def leaf_data(draw: st.DrawFn, min_size: int = 1) -> list[bytes]:
    """Distinct leaf inputs: a random salt and a counter, so no two leaves are equal."""
    n = draw(st.integers(min_size, MAX_LEAVES))
    salt = draw(st.binary(max_size=8))
    return [salt + i.to_bytes(2, "big") for i in range(n)]


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    """Distinct leaf hashes, a tree size, and a leaf index inside it."""
    leaves = [leaf_hash(d) for d in draw(leaf_data())]
    size = draw(st.integers(1, len(leaves)))
    return leaves, size, draw(st.integers(0, size - 1))


@st.composite
def tree_and_sizes(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    """Distinct leaf hashes and two sizes with 0 < old < new."""
    leaves = [leaf_hash(d) for d in draw(leaf_data(min_size=2))]
    new = draw(st.integers(2, len(leaves)))
    return leaves, draw(st.integers(1, new - 1)), new


def _flip(h: bytes, bit: int) -> bytes:
    return h[: bit // 8] + bytes([h[bit // 8] ^ (1 << bit % 8)]) + h[bit // 8 + 1 :]


# --- the cache agrees with the definitions ----------------------------------------------


@EXHAUSTIVE
@given(leaf_data())
def test_every_prefix_root_and_proof_equals_the_rfc_definition(data: list[bytes]) -> None:
    leaves = [leaf_hash(d) for d in data]
    tree = MerkleTree(leaves)
    for size in range(len(leaves) + 1):
        assert tree.root(size) == ref_root(leaves[:size])
    size = len(leaves)
    for index in range(size):
        assert tree.inclusion_proof(index, size) == ref_inclusion(index, leaves)
    for old in range(size + 1):
        assert tree.consistency_proof(old, size) == ref_consistency(old, leaves)


@PROPERTY
@given(leaf_data(), st.data())
def test_appending_builds_the_same_tree_as_building_at_once(
    data: list[bytes], draw: st.DataObject
) -> None:
    leaves = [leaf_hash(d) for d in data]
    start = draw.draw(st.integers(0, len(leaves)))
    grown = MerkleTree(leaves[:start])
    for h in leaves[start:]:
        grown.append(h)
    built = MerkleTree(leaves)
    assert grown.size == built.size == len(leaves)
    for size in range(len(leaves) + 1):
        assert grown.root(size) == built.root(size)
    for index in range(len(leaves)):
        assert grown.leaf(index) == leaves[index]
        assert grown.inclusion_proof(index) == built.inclusion_proof(index)


# --- honest proofs verify ---------------------------------------------------------------


@PROPERTY
@given(leaf_data(), st.data())
def test_every_inclusion_proof_verifies(data: list[bytes], draw: st.DataObject) -> None:
    leaves = [leaf_hash(d) for d in data]
    tree = MerkleTree(leaves)
    size = draw.draw(st.integers(1, len(leaves)))
    root = tree.root(size)
    for index in range(size):
        assert verify_inclusion(leaves[index], index, size, tree.inclusion_proof(index, size), root)


@PROPERTY
@given(leaf_data(), st.data())
def test_every_consistency_proof_verifies(data: list[bytes], draw: st.DataObject) -> None:
    leaves = [leaf_hash(d) for d in data]
    tree = MerkleTree(leaves)
    new = draw.draw(st.integers(0, len(leaves)))
    for old in range(new + 1):
        proof = tree.consistency_proof(old, new)
        assert verify_consistency(old, new, tree.root(old), tree.root(new), proof)


# --- forged inclusion proofs are rejected -----------------------------------------------


@PROPERTY
@given(tree_and_index(), st.data())
def test_inclusion_with_another_index_is_rejected(
    case: tuple[list[bytes], int, int], draw: st.DataObject
) -> None:
    leaves, size, index = case
    tree = MerkleTree(leaves)
    proof, root = tree.inclusion_proof(index, size), tree.root(size)
    other = draw.draw(st.integers(0, size + 3).filter(lambda i: i != index))
    assert not verify_inclusion(leaves[index], other, size, proof, root)
    assert not verify_inclusion(leaves[index], -1, size, proof, root)


@PROPERTY
@given(tree_and_index(), st.data())
def test_inclusion_proof_tampering_is_rejected(
    case: tuple[list[bytes], int, int], draw: st.DataObject
) -> None:
    leaves, size, index = case
    tree = MerkleTree(leaves)
    proof, root, leaf = tree.inclusion_proof(index, size), tree.root(size), leaves[index]
    extra = draw.draw(st.binary(min_size=32, max_size=32))
    assert not verify_inclusion(leaf, index, size, [*proof, extra], root)
    assert not verify_inclusion(leaf, index, size, [extra, *proof], root)
    assert not verify_inclusion(
        _flip(leaf, draw.draw(st.integers(0, 255))), index, size, proof, root
    )
    assert not verify_inclusion(
        leaf, index, size, proof, _flip(root, draw.draw(st.integers(0, 255)))
    )
    assert not verify_inclusion(leaf, index, size, proof, root[:31])
    assert not verify_inclusion(leaf[:31], index, size, proof, root)
    if proof:
        i = draw.draw(st.integers(0, len(proof) - 1))
        flipped = [*proof[:i], _flip(proof[i], draw.draw(st.integers(0, 255))), *proof[i + 1 :]]
        assert not verify_inclusion(leaf, index, size, flipped, root)
        assert not verify_inclusion(leaf, index, size, proof[:i] + proof[i + 1 :], root)
        truncated = [*proof[:i], proof[i][:31], *proof[i + 1 :]]
        assert not verify_inclusion(leaf, index, size, truncated, root)
        assert not verify_inclusion(leaf, index, size, [*proof[:i], extra, *proof[i:]], root)
    if len(proof) >= 2:
        i = draw.draw(st.integers(0, len(proof) - 2))
        swapped = [*proof[:i], proof[i + 1], proof[i], *proof[i + 2 :]]
        assert not verify_inclusion(leaf, index, size, swapped, root)


@PROPERTY
@given(tree_and_index())
def test_inclusion_against_another_trees_root_is_rejected(
    case: tuple[list[bytes], int, int],
) -> None:
    leaves, size, index = case
    proof = MerkleTree(leaves).inclusion_proof(index, size)
    other = list(leaves[:size])
    other[(index + 1) % size if size > 1 else 0] = leaf_hash(b"some other event")
    other_root = MerkleTree(other).root()
    assert not verify_inclusion(leaves[index], index, size, proof, other_root)


@PROPERTY
@given(tree_and_index(), st.integers(1, 2 * MAX_LEAVES))
def test_inclusion_claimed_at_a_wrong_tree_size_is_rejected(
    case: tuple[list[bytes], int, int], wrong_size: int
) -> None:
    # A proof's length is fixed by (index, size), and the verifier consumes exactly that
    # many hashes, so a size whose proof would be longer or shorter must fail. (A size with
    # the same path shape reproduces the same root: the root is what binds the size, and
    # checkpoints sign the two together.)
    leaves, size, index = case
    tree = MerkleTree(leaves)
    proof, root = tree.inclusion_proof(index, size), tree.root(size)
    if wrong_size > index and len(ref_inclusion(index, [b""] * wrong_size)) == len(proof):
        return
    assert not verify_inclusion(leaves[index], index, wrong_size, proof, root)


# --- forged consistency proofs are rejected ---------------------------------------------


@PROPERTY
@given(tree_and_sizes(), st.data())
def test_consistency_proof_tampering_is_rejected(
    case: tuple[list[bytes], int, int], draw: st.DataObject
) -> None:
    leaves, old, new = case
    tree = MerkleTree(leaves)
    proof = tree.consistency_proof(old, new)
    r_old, r_new = tree.root(old), tree.root(new)
    extra = draw.draw(st.binary(min_size=32, max_size=32))
    assert not verify_consistency(old, new, r_old, r_new, [])
    assert not verify_consistency(old, new, r_old, r_new, [*proof, extra])
    assert not verify_consistency(old, new, r_old, r_new, [extra, *proof])
    assert not verify_consistency(old, new, r_new, r_old, proof)
    assert not verify_consistency(new, old, r_new, r_old, proof)
    assert not verify_consistency(old, new, r_old[:31], r_new, proof)
    assert not verify_consistency(old, new, r_old, r_new + b"\x00", proof)
    assert not verify_consistency(0, new, r_old, r_new, proof)
    i = draw.draw(st.integers(0, len(proof) - 1))
    flipped = [*proof[:i], _flip(proof[i], draw.draw(st.integers(0, 255))), *proof[i + 1 :]]
    assert not verify_consistency(old, new, r_old, r_new, flipped)
    assert not verify_consistency(old, new, r_old, r_new, proof[:i] + proof[i + 1 :])
    truncated = [*proof[:i], proof[i][:31], *proof[i + 1 :]]
    assert not verify_consistency(old, new, r_old, r_new, truncated)
    if len(proof) >= 2:
        j = draw.draw(st.integers(0, len(proof) - 2))
        swapped = [*proof[:j], proof[j + 1], proof[j], *proof[j + 2 :]]
        assert not verify_consistency(old, new, r_old, r_new, swapped)


@PROPERTY
@given(tree_and_sizes(), st.data())
def test_consistency_with_a_stale_or_foreign_root_is_rejected(
    case: tuple[list[bytes], int, int], draw: st.DataObject
) -> None:
    leaves, old, new = case
    tree = MerkleTree(leaves)
    proof = tree.consistency_proof(old, new)
    r_old, r_new = tree.root(old), tree.root(new)
    stale = tree.root(draw.draw(st.integers(0, new - 1)))
    assert not verify_consistency(old, new, r_old, stale, proof)
    edited = draw.draw(st.integers(0, new - 1))
    rewritten = list(leaves[:new])
    rewritten[edited] = leaf_hash(b"rewritten history")
    forked = MerkleTree(rewritten)
    assert not verify_consistency(old, new, r_old, forked.root(), proof)
    if edited < old:  # history the old checkpoint covers was changed: nothing links them
        assert not verify_consistency(old, new, forked.root(old), r_new, proof)
        forked_proof = forked.consistency_proof(old, new)
        assert not verify_consistency(old, new, r_old, forked.root(), forked_proof)


@PROPERTY
@given(tree_and_sizes(), st.integers(0, 2 * MAX_LEAVES), st.integers(0, 2 * MAX_LEAVES))
def test_consistency_claimed_at_wrong_sizes_is_rejected(
    case: tuple[list[bytes], int, int], wrong_old: int, wrong_new: int
) -> None:
    leaves, old, new = case
    tree = MerkleTree(leaves)
    proof = tree.consistency_proof(old, new)
    r_old, r_new = tree.root(old), tree.root(new)
    for o, n in ((wrong_old, new), (old, wrong_new)):
        if (o, n) == (old, new):
            continue
        if 0 < o < n and len(ref_consistency(o, [b""] * n)) == len(proof):
            continue  # same shape: see test_inclusion_claimed_at_a_wrong_tree_size
        assert not verify_consistency(o, n, r_old, r_new, proof)


# --- malformed input never raises ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        (b"\x00" * 32, 0, 1, None, b"\x00" * 32),
        (b"\x00" * 32, 0, 1, b"\x00" * 32, b"\x00" * 32),
        (b"\x00" * 32, 0, 1, "abc", b"\x00" * 32),
        (b"\x00" * 32, 0, 1, [None], b"\x00" * 32),
        (b"\x00" * 32, 0, 2, [None], b"\x00" * 32),
        (b"\x00" * 32, 0, 2, ["x" * 32], b"\x00" * 32),
        (b"\x00" * 32, 0, 2, [7], b"\x00" * 32),
        (b"\x00" * 32, "0", 1, [], b"\x00" * 32),
        (b"\x00" * 32, 0, 1.0, [], b"\x00" * 32),
        ("x" * 32, 0, 1, [], "x" * 32),
        (None, 0, 1, [], None),
        (b"\x00" * 32, -1, 1, [], b"\x00" * 32),
        (b"\x00" * 32, 0, -1, [], b"\x00" * 32),
    ],
)
def test_malformed_inclusion_input_gives_false(args: tuple[object, ...]) -> None:
    assert verify_inclusion(*args) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        (1, 2, b"\x00" * 32, b"\x00" * 32, None),
        (1, 2, b"\x00" * 32, b"\x00" * 32, b"\x00" * 64),
        (1, 2, b"\x00" * 32, b"\x00" * 32, [1, 2]),
        (1, 2, b"\x00" * 32, b"\x00" * 32, [None]),
        (2, 3, b"\x00" * 32, b"\x00" * 32, ["x" * 32, "y" * 32]),
        (1, 2, None, None, []),
        ("1", 2, b"\x00" * 32, b"\x00" * 32, [b"\x00" * 32]),
        (-1, 2, b"\x00" * 32, b"\x00" * 32, []),
        (3, 2, b"\x00" * 32, b"\x00" * 32, []),
        (0, 3, b"\x00" * 32, b"\x00" * 32, [b"\x00" * 32]),
    ],
)
def test_malformed_consistency_input_gives_false(args: tuple[object, ...]) -> None:
    assert verify_consistency(*args) is False  # type: ignore[arg-type]


def test_tree_refuses_out_of_range_arguments_and_bad_hashes() -> None:
    tree = MerkleTree(_leaves(5))
    for call in (
        lambda: tree.root(6),
        lambda: tree.root(-1),
        lambda: tree.inclusion_proof(5),
        lambda: tree.inclusion_proof(3, 3),
        lambda: tree.inclusion_proof(0, 0),
        lambda: tree.consistency_proof(4, 3),
        lambda: tree.consistency_proof(-1),
        lambda: tree.consistency_proof(1, 6),
        lambda: tree.append(b"short"),
        lambda: MerkleTree([b"\x00" * 31]),
    ):
        with pytest.raises(ValueError):
            call()


# --- scale --------------------------------------------------------------------------------


def test_a_large_tree_answers_roots_and_proofs_at_many_sizes() -> None:
    n = 200_000
    leaves = _leaves(n, salt=b"scale")
    tree = MerkleTree(leaves)
    assert tree.size == n
    for size in (n, 131_073):
        assert tree.root(size) == ref_root(leaves[:size])
    assert tree.inclusion_proof(123_456) == ref_inclusion(123_456, leaves)
    assert tree.consistency_proof(99_999) == ref_consistency(99_999, leaves)

    rng = random.Random(20240501)
    roots = {size: tree.root(size) for size in rng.sample(range(1, n + 1), 300)}
    for size, root in roots.items():
        index = rng.randrange(size)
        assert verify_inclusion(leaves[index], index, size, tree.inclusion_proof(index, size), root)
    sizes = sorted(roots)
    for old, new in zip(sizes, sizes[1:], strict=False):
        proof = tree.consistency_proof(old, new)
        assert verify_consistency(old, new, roots[old], roots[new], proof)

    full_root = tree.root()
    tree.append(hashlib.sha256(b"one more").digest())
    assert tree.size == n + 1
    assert tree.root(n) == full_root != tree.root()
