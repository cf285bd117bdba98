"""The event hash chain: every removal, reordering or edit is caught where it happens."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liuhen.ledger.chain import GENESIS, chain_hash, verify_chain


def make_chain(events: list[bytes]) -> list[tuple[bytes, bytes]]:
    """``(event_bytes, chain_hash)`` pairs as the store keeps them."""
    items, prev = [], GENESIS
    for event in events:
        prev = chain_hash(prev, event)
        items.append((event, prev))
    return items


EVENTS = [f'{{"seq":{i},"type":"case.opened"}}'.encode() for i in range(10)]


def test_chain_hash_is_sha256_of_previous_hash_then_event() -> None:
    assert GENESIS == bytes(32)
    assert chain_hash(GENESIS, b"abc") == hashlib.sha256(bytes(32) + b"abc").digest()


def test_an_intact_chain_and_an_empty_chain_verify() -> None:
    assert verify_chain(make_chain(EVENTS)) is None
    assert verify_chain([]) is None
    assert verify_chain(iter(make_chain(EVENTS))) is None


@pytest.mark.parametrize("index", range(10))
def test_a_removed_event_is_caught_at_its_position(index: int) -> None:
    items = make_chain(EVENTS)
    del items[index]
    expected = (
        None if index == len(EVENTS) - 1 else index
    )  # dropping the tail leaves a valid prefix
    assert verify_chain(items) == expected


@pytest.mark.parametrize(("i", "j"), [(0, 1), (2, 7), (8, 9), (0, 9)])
def test_reordered_events_are_caught_at_the_first_moved_one(i: int, j: int) -> None:
    items = make_chain(EVENTS)
    items[i], items[j] = items[j], items[i]
    assert verify_chain(items) == i


@pytest.mark.parametrize("index", [0, 4, 9])
def test_an_edited_event_is_caught_at_its_position(index: int) -> None:
    items = make_chain(EVENTS)
    event, stored = items[index]
    items[index] = (event.replace(b"case.opened", b"case.closed"), stored)
    assert verify_chain(items) == index


@pytest.mark.parametrize("index", [0, 4, 9])
def test_an_edited_stored_hash_is_caught_at_its_position(index: int) -> None:
    items = make_chain(EVENTS)
    event, stored = items[index]
    items[index] = (event, bytes([stored[0] ^ 1]) + stored[1:])
    assert verify_chain(items) == index


def test_a_rewritten_suffix_with_recomputed_hashes_still_breaks_at_the_edit() -> None:
    # An attacker who edits event 5 and recomputes every later hash still cannot make
    # link 5 match the stored link 4 unless they also rewrite everything before.
    items = make_chain(EVENTS)
    forged = make_chain([*EVENTS[:5], b'{"seq":5,"type":"forged"}', *EVENTS[6:]])
    assert verify_chain(items[:5] + forged[5:]) is None  # the whole chain was recomputed
    assert verify_chain(items[:6] + forged[6:]) == 6  # splicing onto the honest prefix fails


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.binary(max_size=16), min_size=1, max_size=40, unique=True),
    st.data(),
)
def test_any_single_change_is_caught_at_the_changed_position(
    events: list[bytes], data: st.DataObject
) -> None:
    items = make_chain(events)
    index = data.draw(st.integers(0, len(items) - 1))
    extra = data.draw(st.binary(max_size=16).filter(lambda b: b != items[index][0]))
    edited = list(items)
    edited[index] = (extra, items[index][1])
    assert verify_chain(edited) == index
    inserted = [
        *items[:index],
        (extra, chain_hash(items[index - 1][1] if index else GENESIS, extra)),
    ]
    inserted += items[index:]
    assert verify_chain(inserted) == index + 1
