"""``verify`` follows the ledger's keys only through rotation events whose statement the
retiring key signed (``integrity.key.follow_rotations``)."""

from __future__ import annotations

from liuhen.ledger.checkpoint import generate_key, key_fingerprint
from liuhen.ledger.note import vkey
from liuhen.ledger.rotation import rotation_note
from liuhen.services.archiving.integrity.key import follow_rotations
from liuhen.services.archiving.integrity.report import VerifyReport

ORIGIN = "liuhen/0123456789abcdef"


def _payload(old, new, signer=None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    statement = rotation_note(ORIGIN, signer or old, new.public_key(), 10).render()
    return {"old_key": vkey(ORIGIN, old), "statement": statement}


def test_a_chain_of_two_rotations_is_followed_with_the_sizes_each_key_signed():
    k0, k1, k2 = generate_key(), generate_key(), generate_key()
    report = VerifyReport(checked_at="now")
    chain = follow_rotations(
        report, key_fingerprint(k0), [(9, _payload(k0, k1)), (20, _payload(k1, k2))]
    )
    assert report.ok
    assert [k.fingerprint for k in chain] == [key_fingerprint(k) for k in (k0, k1, k2)]
    assert [k.until for k in chain] == [10, 21, None]


def test_a_rotation_not_signed_by_the_retiring_key_is_a_finding_and_ends_the_chain():
    k0, k1, stranger = generate_key(), generate_key(), generate_key()
    for payload in (
        _payload(k0, k1, signer=stranger),  # the statement signed by another key
        _payload(stranger, k1),  # naming another key as the old one
        {"old_key": "nonsense", "statement": "x"},
    ):
        report = VerifyReport(checked_at="now")
        chain = follow_rotations(report, key_fingerprint(k0), [(9, payload)])
        assert [p.kind for p in report.problems] == ["key_rotation_invalid"]
        assert report.problems[0].object == "ledger_events#9"
        assert [k.fingerprint for k in chain] == [key_fingerprint(k0)]
