"""The mutation campaign's fast slice (tests/integrity/campaign.py has the full one): a
populated store damaged one way at a time, each on a fresh copy; ``liuhen verify`` must
report every mutation with a finding that names its object (the blob and the records that
hold it, the table, row and column, the event, the checkpoint, the file), never with a
traceback, and must find nothing on a clean copy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liuhen.services.archiving import integrity
from liuhen.store.store import Store
from tests.integrity.campaign import failures, fast_slice, run_one, table
from tests.integrity.tamper import Mutation
from tests.integrity.world import World, build

CLASSES = (
    "cell",
    "malformed",
    "delete",
    "insert",
    "swap",
    "blob",
    "tail:events",
    "tail:head",
    "tail:head+checkpoints",
    "log",
    "witness",
    "rollback",
    "resign",
    "resign:witness",
    "cache",
    "token",
    "tile",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build(tmp_path_factory.mktemp("campaign") / "world")
    yield built
    built.stop()


@pytest.fixture(scope="module")
def slice_by_class(world: World) -> dict[str, list[Mutation]]:
    by: dict[str, list[Mutation]] = defaultdict(list)
    for mutation in fast_slice(world):
        by[mutation.cls].append(mutation)
    return by


def test_clean_copies_verify_with_no_finding(world: World, tmp_path: Path) -> None:
    outcomes = [run_one(world, None, tmp_path) for _ in range(3)]
    assert all(o.passed for o in outcomes), failures(outcomes)


def test_the_slice_covers_every_column_of_every_table_with_rows(
    slice_by_class: dict[str, list[Mutation]],
) -> None:
    changed = {m.label.split(" = ")[0] for m in slice_by_class["cell"]}
    assert {"records.title", "ledger_events.payload", "checkpoints.signature"} <= changed
    assert {"ledger_head.chain_hash", "blobs.sm3", "cases.party"} <= changed
    assert {"stations.token_hash", "stations.revoked_at", "stations.user_id"} <= changed
    assert sum(len(group) for group in slice_by_class.values()) <= 330  # ~1 s of CI per 30


@pytest.mark.parametrize("cls", CLASSES)
def test_every_mutation_is_reported_naming_its_object(
    cls: str,
    world: World,
    slice_by_class: dict[str, list[Mutation]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each mutation is reported, naming its object; and the fast pass alone finds it.
    ``verify`` first reads the ledger taking payloads that hash to their signed digest as
    written, and reads it all again in full only when that pass finds something: the spy
    checks the passes ran so for every mutation (fast first; in full only after it found
    something), so a mutation reported where the fast pass found nothing was reported by
    the fast pass and the other checks alone. (Merged with a second run of the same slice
    that replaced the full pass by the fast one.)"""
    mutations = slice_by_class[cls]
    assert mutations, f"the slice has no {cls} mutation"
    passes = _spy_on_ledger_passes(monkeypatch)
    outcomes, out_of_order = [], []
    for mutation in mutations:
        passes.clear()
        outcome = run_one(world, mutation, tmp_path, caches=cls == "cache")
        outcomes.append(outcome)
        if outcome.error is None and passes not in (
            [(True, True)],
            [(True, False), (False, False)],
        ):
            out_of_order.append(f"{mutation.label}: {passes}")
    assert all(o.passed for o in outcomes), table(outcomes) + "\n" + "\n".join(failures(outcomes))
    assert not out_of_order, out_of_order


def _spy_on_ledger_passes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, bool]]:
    """(bound, the pass's report ok) of each ledger pass of ``verify``, in order."""
    passes: list[tuple[bool, bool]] = []
    check = integrity._check_ledger

    def spied(store: Store, fingerprint: str | None, *, bound: bool, **options: Any) -> object:
        report, scan = check(store, fingerprint, bound=bound, **options)
        passes.append((bound, report.ok))
        return report, scan

    monkeypatch.setattr(integrity, "_check_ledger", spied)
    return passes
