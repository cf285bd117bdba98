"""The dashboard, 我的待办, due-soon cases and the ledger pages (``services/oversight``)."""
