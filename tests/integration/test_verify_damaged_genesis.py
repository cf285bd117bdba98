"""Event #0 with a payload that is not JSON (found by the full mutation campaign): the store
still opens, names its log and writes; ``verify`` names the event instead of a traceback."""

from __future__ import annotations

from tests.helpers import SYSTEM
from tests.integrity.tamper import intruder

from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.store.store import Store


def test_a_damaged_first_event_is_named_not_a_traceback(sqlite_settings, clock):
    initialise(sqlite_settings, admin_password="Admin-pass-2026", clock=clock)
    with intruder(sqlite_settings.data_dir, "ledger_events") as conn:
        conn.execute("UPDATE ledger_events SET payload = '{not json' WHERE seq = 0")
    store = Store.open(sqlite_settings, clock=clock)  # nothing cached from before
    try:
        assert store.origin.startswith("liuhen/")
        report = verify(store, SYSTEM)
        assert not report.ok
        assert report.names("ledger_events#0")
        with store.transaction(SYSTEM) as tx:  # a write signs nothing over damage, and goes on
            tx.record("ledger.checkpointed", subject_type="ledger", subject_id="after")
    finally:
        store.close()
