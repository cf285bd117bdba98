"""The mutation campaign's fast slice (tests/integrity/campaign.py has the full one): a
populated store damaged one way at a time, each on a fresh copy; ``liuhen verify`` must
report every mutation with a finding that names its object (the blob and the records that
hold it, the table, row and column, the event, the checkpoint, the file), never with a
traceback, and must find nothing on a clean copy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from liuhen.services.archiving import integrity
from liuhen.store.store import Store
from tests.integrity.campaign import Outcome, failures, fast_slice, run_one, table
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


def _run(world: World, mutations: list[Mutation], scratch: Path) -> list[Outcome]:
    return [run_one(world, m, scratch, caches=m.cls == "cache") for m in mutations]


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
    cls: str, world: World, slice_by_class: dict[str, list[Mutation]], tmp_path: Path
) -> None:
    mutations = slice_by_class[cls]
    assert mutations, f"the slice has no {cls} mutation"
    outcomes = _run(world, mutations, tmp_path)
    assert all(o.passed for o in outcomes), table(outcomes) + "\n" + "\n".join(failures(outcomes))


FAST_PASS_CLASSES = ("cell", "malformed", "delete", "insert", "swap", "tail:events", "resign")


@pytest.mark.parametrize("cls", FAST_PASS_CLASSES)
def test_the_fast_pass_alone_finds_every_mutation(
    cls: str,
    world: World,
    slice_by_class: dict[str, list[Mutation]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``verify`` first reads the ledger taking payloads that hash to their signed digest as
    written, and reads it all again in full only when that pass finds something: so that
    pass alone must find every mutation (here it is never followed by the full one)."""
    fast = integrity._check_ledger

    def fast_only(store: Store, fingerprint: str | None, *, bound: bool) -> object:
        return fast(store, fingerprint, bound=True)

    monkeypatch.setattr(integrity, "_check_ledger", fast_only)
    outcomes = _run(world, slice_by_class[cls], tmp_path)
    missed = [o for o in outcomes if o.error is not None or o.report is None or o.report.ok]
    assert not missed, table(missed)
