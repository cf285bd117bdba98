"""``verify`` beside writers: one process verifies from the last recorded run
(``--since-last``) and another in full, each recording its run, round after round, while two
others write (views, and cases with their rows). Every run finds the store intact (the checkpoints signed while it ran, over
events it did not read, are no rollback), each continued run continues from whichever run
was recorded last, and a run afterwards continues from the newest and agrees with a full
one. On SQLite and PostgreSQL."""

from __future__ import annotations

from liuhen.services.archiving.integrity import record_verification, verify
from liuhen.services.archiving.queries.integrity import last_verification
from tests.concurrency import ledger_ops
from tests.factories import make_agency
from tests.helpers import SYSTEM


def test_runs_continue_from_each_other_while_others_write(store, racers) -> None:  # type: ignore[no-untyped-def]
    first = verify(store, SYSTEM)
    assert first.ok and record_verification(store, SYSTEM, first) is not None
    agency = make_agency(store)["agency"]
    each = [("verifier", 5), ("full", 5), ("writer", 5), ("rows", 5, agency)]
    results = racers.race_each(store, ledger_ops.verify_or_write, each)
    assert results.codes == {"ok": 4}, results
    continued, full_runs = (v.strip("'") for v in results.values()[:2])
    # none found the checkpoints signed while it ran (beyond the events it read) a rollback
    assert continued == "ccccc" and full_runs == "fffff", results
    newest = last_verification(store)
    assert newest is not None
    after = verify(store, SYSTEM, since_last=True)
    assert after.ok and after.since == newest["report"]["events"], after.notes
    full = verify(store, SYSTEM)
    assert full.ok and (full.tree_root, full.chain_hash) == (after.tree_root, after.chain_hash)
