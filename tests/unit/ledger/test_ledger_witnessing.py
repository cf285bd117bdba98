"""A witness's decisions (C2SP tlog-witness add-checkpoint): it cosigns a checkpoint only
when it extends the last one it cosigned, signed by the key it pinned; a key changes only on
a rotation statement signed by the pinned key."""

from __future__ import annotations

from datetime import UTC, datetime

from liuhen.ledger.checkpoint import Checkpoint, generate_key, sign_checkpoint
from liuhen.ledger.cosignature import AddCheckpoint
from liuhen.ledger.merkle import MerkleTree, leaf_hash
from liuhen.ledger.note import checkpoint_note, parse_note, vkey
from liuhen.ledger.rotation import parse_rotation, rotation_note, rotation_signed_by
from liuhen.ledger.witnessing import LogState, advance, judge, rotate

ORIGIN = "liuhen/0123456789abcdef"


def _tree(n: int, salt: bytes = b"") -> MerkleTree:
    return MerkleTree([leaf_hash(salt + bytes([i])) for i in range(n)])


def _request(key, tree: MerkleTree, size: int, old: int, proof_tree=None):
    cp = Checkpoint(size, tree.root(size), datetime(2026, 12, 4, tzinfo=UTC), ORIGIN)
    note = checkpoint_note(cp, sign_checkpoint(key, cp), key.public_key())
    proof = (proof_tree or tree).consistency_proof(old, size) if old else []
    return AddCheckpoint(old, proof, note), cp


def _state(key, tree: MerkleTree | None = None, size: int = 0) -> LogState:
    state = LogState(ORIGIN, (vkey(ORIGIN, key),))
    if tree is not None and size:
        request, cp = _request(key, tree, size, 0)
        state = advance(state, cp, request.note)
    return state


def test_a_consistent_larger_tree_is_cosigned_and_moves_the_state():
    key = generate_key()
    tree = _tree(20)
    state = _state(key, tree, 8)
    request, cp = _request(key, tree, 13, 8)
    verdict = judge(state, request)
    assert verdict.status == 200 and verdict.checkpoint == cp
    assert advance(state, cp, request.note).size == 13


def test_an_unknown_origin_is_404_and_an_unpinned_key_403():
    key = generate_key()
    tree = _tree(5)
    request, _cp = _request(key, tree, 5, 0)
    assert judge(None, request).status == 404
    assert judge(_state(generate_key()), request).status == 403


def test_a_wrong_old_size_is_409_with_the_witness_size_and_a_smaller_tree_400():
    key = generate_key()
    tree = _tree(20)
    state = _state(key, tree, 8)
    request, _ = _request(key, tree, 13, 5)
    verdict = judge(state, request)
    assert (verdict.status, verdict.message) == (409, "8")
    smaller, _ = _request(key, tree, 6, 0)
    assert judge(state, AddCheckpoint(8, [], smaller.note)).status == 400


def test_a_rewritten_history_is_a_failed_consistency_proof_422():
    key = generate_key()
    state = _state(key, _tree(20), 8)
    forged = _tree(20, salt=b"x")  # every leaf different: the history rewritten
    request, _ = _request(key, forged, 13, 8)
    assert judge(state, request).status == 422
    same_size, _ = _request(key, forged, 8, 8)
    assert judge(state, same_size).status == 422


def test_a_proof_from_zero_must_be_empty():
    key = generate_key()
    tree = _tree(4)
    request, _ = _request(key, tree, 4, 0)
    bad = AddCheckpoint(0, [b"\0" * 32], request.note)
    assert judge(_state(key), bad).status == 422
    assert judge(_state(key), request).status == 200


def test_rotation_moves_the_pinned_key_only_when_signed_by_it():
    old, new, stranger = generate_key(), generate_key(), generate_key()
    state = _state(old, _tree(10), 10)
    statement = parse_rotation(
        parse_note(rotation_note(ORIGIN, old, new.public_key(), 10).render())
    )
    assert rotation_signed_by(statement, state.verifiers()[0])
    forged = parse_rotation(rotation_note(ORIGIN, stranger, new.public_key(), 10))
    unchanged, why = rotate(state, forged)
    assert unchanged == state and why
    moved, why = rotate(state, statement)
    assert why == "" and moved is not None and moved.keys == (vkey(ORIGIN, new),)
    request, _ = _request(new, _tree(10), 10, 10)
    assert judge(moved, request).status == 200
    request_old, _ = _request(old, _tree(10), 10, 10)
    assert judge(moved, request_old).status == 403
