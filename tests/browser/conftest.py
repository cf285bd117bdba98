"""Browser fixtures: the shared demo served live, and a page in the session's Chromium."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def demo_site(sqlite_demo: Any, live_server: Any) -> tuple[str, dict[str, str]]:
    """The shared demo (these tests read; verifying the ledger appends its event) served
    live: its base URL and the demo accounts' passwords."""
    return live_server(sqlite_demo.store), sqlite_demo.accounts


@pytest.fixture
def page(new_window: Any) -> Any:
    return new_window(viewport={"width": 1280, "height": 800})
