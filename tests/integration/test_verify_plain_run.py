"""``verify`` checks the ledger a page at a time in one loop (``integrity.plain.plain_run``),
writing each event's bytes out by hand: every event LiuHen writes must pass that loop whole
(quotes, backslashes, control characters other than NUL, which PostgreSQL refuses, CJK and
astral characters in any text field; an actor or a case or none), and its tree must be the
signed one. An event the loop did not
take would still be checked, cell by cell: only slower, which no other test would see."""

from __future__ import annotations

from tests.helpers import SYSTEM

from liuhen.ledger.events import Actor
from liuhen.services.archiving.integrity import verify
from liuhen.services.archiving.integrity.plain import LedgerScan, plain_run
from liuhen.services.archiving.queries.integrity import reading_ledger
from liuhen.store.store import Store

ODD = ['引号"与\\反斜杠', "控制\x01\x1f\n\t字符", "𠀋𝄞 astral", "plain", "\x7f\u2028\u2029", ""]


def test_every_event_liuhen_writes_passes_the_plain_loop_whole(store: Store) -> None:
    for n, text in enumerate(ODD):
        actor = Actor(id=f"u{n}{text}", label=f"执法人员{text}", roles=("system",))
        with store.transaction(SYSTEM) as tx:
            tx.record(
                f"case.viewed{text}",
                subject_type=f"case{text}",
                subject_id=f"s{n}{text}",
                case_id=None if n % 2 else f"c{n}{text}",
                payload={"note": text, "n": n, "nested": [text, {"k": text}]},
                actor=actor,
            )
    scan = LedgerScan(bound=False)
    with reading_ledger(store) as reading:
        for page in reading.pages():
            assert plain_run(scan, reading, page, 0, 0, stop=-1) == len(page)
    assert scan.expected == scan.tree.size == store.event_count()
    assert scan.tree.root() == bytes.fromhex(store.latest_checkpoint()["root_hash"])  # type: ignore[index]
    scan.tree.close()
    assert verify(store, SYSTEM).ok
