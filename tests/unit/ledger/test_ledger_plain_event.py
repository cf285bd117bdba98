"""``plain_event`` writes an event's canonical bytes out by hand for speed (``verify`` reads
a million events): it must give exactly ``canonical_json`` of the event, for any strings
(quotes, backslashes, control characters, CJK, astral characters) and any seq."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from liuhen.ledger.canonical import canonical_json
from liuhen.ledger.events import EVENT_FIELDS, event_bytes, plain_event

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(min_value=0, max_value=2**63 - 1),
    texts=st.lists(TEXT, min_size=7, max_size=7),
    actor_id=st.none() | TEXT,
    case_id=st.none() | TEXT,
)
def test_plain_event_is_canonical_json_of_the_event(
    seq: int, texts: list[str], actor_id: str | None, case_id: str | None
) -> None:
    occurred, label, action, stype, sid, digest, prev = texts
    body = {
        "seq": seq,
        "occurred_at": occurred,
        "actor_id": actor_id,
        "actor_label": label,
        "action": action,
        "subject_type": stype,
        "subject_id": sid,
        "case_id": case_id,
        "payload_digest": digest,
        "prev_hash": prev,
    }
    expected = canonical_json(body)
    assert plain_event(*(body[name] for name in EVENT_FIELDS)) == expected
    assert event_bytes(body) == expected


def test_an_event_with_other_types_is_still_encoded_canonically() -> None:
    """A field that is not a plain ``str`` (a damaged row: a number where text belongs)
    goes through ``canonical_json`` itself, never the hand-written form."""
    body = dict.fromkeys(EVENT_FIELDS, "x") | {"seq": 3, "actor_label": 7}
    assert event_bytes(body) == canonical_json(body)
    assert b'"actor_label":7' in event_bytes(body)
