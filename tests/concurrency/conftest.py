"""The racing processes, started once a session (``harness.Racers``)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.concurrency.harness import RACERS, Racers, warm
from tests.processes import racing_context


@pytest.fixture(scope="session")
def racers() -> Iterator[Racers]:
    context = racing_context()
    with context.Manager() as manager, ProcessPoolExecutor(RACERS, mp_context=context) as pool:
        for future in [pool.submit(warm) for _ in range(RACERS)]:
            future.result(timeout=120)
        yield Racers(pool, manager)
