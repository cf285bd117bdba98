"""The group commit under several processes at once: four processes, each with eight reader
threads, record views at the same moment, on SQLite and PostgreSQL. Every view gets its own
seq and is on the ledger, the processes wrote far fewer transactions than views (each writer
takes its batch once it holds the ledger's lock, so waiting for the others makes its batch
bigger), and the store verifies."""

from __future__ import annotations

import ast

from sqlalchemy import select

from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from tests.concurrency import ledger_ops
from tests.helpers import SYSTEM

THREADS, VIEWS = 8, 12


def test_views_of_four_processes_each_get_a_seq_in_few_transactions(store, racers) -> None:  # type: ignore[no-untyped-def]
    results = racers.race(store, ledger_ops.views_from_threads, THREADS, VIEWS)
    assert results.codes == {"ok": 4}, results
    given = [ast.literal_eval(value) for value in results.values()]
    seqs = [seq for seqs, _batches in given for seq in seqs]
    assert len(seqs) == len(set(seqs)) == 4 * THREADS * VIEWS
    events = t.ledger_events
    with store.read() as conn:
        recorded = conn.execute(
            select(events.c.seq, events.c.subject_id).where(events.c.seq.in_(seqs))
        ).all()
    assert len(recorded) == len(seqs)
    assert all(subject.startswith("race-") for _seq, subject in recorded)
    batches = sum(b for _seqs, b in given)
    assert batches < len(seqs) / 2, batches  # grouped: most transactions carried several
    assert verify(store, SYSTEM).ok
