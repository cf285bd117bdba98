"""The mutation campaign: single mutations of a populated store, each on a fresh copy, each
verified; every one must be detected by a finding that names its object, with no traceback,
and clean copies must verify with no finding at all.

The suite runs a fast deterministic slice (tests/integrity/test_mutation_campaign.py). The
full campaign, with its table by mutation class::

    python -m tests.integrity.campaign --mutations 10000 [--seed 13] [--clean 100]

It lists every systematic mutation once (every column of every table, every line of the
checkpoint log and the witness, every tail length, every earlier copy, …) and then draws
more at random (rows, values, byte positions, pairs) until it has ``--mutations``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from liuhen.ledger.events import Actor
from liuhen.services.archiving.integrity import VerifyReport, verify
from tests.integrity import row_mutations, store_mutations, token_mutations
from tests.integrity.tamper import Mutation
from tests.integrity.world import World, build, open_copy

SYSTEM = Actor.system("完整性校验")

Generator = Callable[[World, random.Random], list[Mutation]]
SYSTEMATIC: tuple[Generator, ...] = (
    lambda w, r: row_mutations.cells(w, r, valid=True),
    lambda w, r: row_mutations.cells(w, r, valid=False),
    row_mutations.deletes,
    row_mutations.inserts,
    row_mutations.swaps,
    store_mutations.blobs,
    store_mutations.tails,
    store_mutations.outside_copies,
    store_mutations.rollbacks,
    store_mutations.resigned,
    store_mutations.resigned_witnessed,
    store_mutations.caches,
    store_mutations.tiles,
    token_mutations.tokens,
)
RANDOM: tuple[Generator, ...] = (
    lambda w, r: row_mutations.cells(w, r, valid=True),
    lambda w, r: row_mutations.cells(w, r, valid=False),
    row_mutations.inserts,
    row_mutations.swaps,
    lambda w, r: store_mutations.blobs(w, r, flips=4),
    store_mutations.caches,
)
"""Drawn again with new random rows, values and positions to fill a large campaign."""


@dataclass
class Outcome:
    mutation: Mutation | None
    """None: a clean copy."""
    report: VerifyReport | None
    error: str | None = None
    missing: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        if self.error is not None or self.report is None:
            return False
        if self.mutation is None:
            return self.report.ok and not self.report.problems
        return not self.report.ok and not self.missing


def mutations(world: World, count: int | None, seed: int) -> Iterator[Mutation]:
    """Every systematic mutation, then random ones up to ``count`` (None: systematic only)."""
    rng = random.Random(seed)
    made = 0
    for generate in SYSTEMATIC:
        for mutation in generate(world, rng):
            if count is not None and made >= count:
                return
            made += 1
            yield mutation
    while count is not None and made < count:
        for generate in RANDOM:
            for mutation in generate(world, rng):
                if made >= count:
                    return
                made += 1
                yield mutation


FAST_SHARE = {
    "malformed": 40,
    "delete": 20,
    "insert": 8,
    "swap": 8,
    "tail:events": 3,
    "tail:head": 3,
    "tail:head+checkpoints": 3,
    "log": 5,
    "witness": 5,
    "blob": 5,
    "tile": 8,
}
"""How many mutations of these classes the fast slice draws; it takes every mutation of the
other classes (every column of every table once, every insert, swap, rollback, re-signing
and cache edit)."""


def fast_slice(world: World, seed: int = 13) -> list[Mutation]:
    """The suite's deterministic slice: a few hundred mutations over every class."""
    rng = random.Random(seed)
    by: dict[str, list[Mutation]] = defaultdict(list)
    for generate in SYSTEMATIC:
        for mutation in generate(world, rng):
            by[mutation.cls].append(mutation)
    chosen: list[Mutation] = []
    for cls, group in by.items():
        share = FAST_SHARE.get(cls)
        chosen += group if share is None or share >= len(group) else rng.sample(group, share)
    return chosen


def run_one(
    world: World, mutation: Mutation | None, scratch: Path, *, caches: bool = True
) -> Outcome:
    """Copy the store, apply ``mutation`` (None: none), verify, check the objects named.
    ``caches`` False: verify without recomputing each summary from the records (a fast
    slice does that for clean copies and cache mutations only)."""
    where = Path(tempfile.mkdtemp(dir=scratch))
    started = time.perf_counter()
    try:
        data, witness = world.copy(where)
        if mutation is not None:
            mutation.apply(data, witness)
        pinned = mutation is None or mutation.pinned
        store = open_copy(world, data, witness, pinned=pinned)
        try:
            report = verify(store, SYSTEM, caches=caches, blobs=True)
        finally:
            store.close()
    except Exception:  # noqa: BLE001  (a traceback is the campaign's finding)
        return Outcome(
            mutation, None, traceback.format_exc(), seconds=time.perf_counter() - started
        )
    finally:
        shutil.rmtree(where, ignore_errors=True)
    expect = () if mutation is None else tuple(_resolve(e, where) for e in mutation.expect)
    missing = tuple(e for e in expect if not report.names(e))
    return Outcome(mutation, report, None, missing, time.perf_counter() - started)


def _resolve(expect: str, where: Path) -> str:
    """A file named relative to the copy's root (``data/…``, ``witness/…``) as verify names it."""
    return str(where / expect) if expect.startswith(("data/", "witness/")) else expect


def table(outcomes: list[Outcome]) -> str:
    """The result by mutation class: how many, detected and named, tracebacks, misses."""
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by[o.mutation.cls if o.mutation else "clean copy"].append(o)
    lines = [
        "| class | mutations | detected, object named | tracebacks | missed |",
        "|---|---:|---:|---:|---:|",
    ]
    for cls in sorted(by, key=lambda c: (c == "clean copy", c)):
        group = by[cls]
        errors = sum(1 for o in group if o.error)
        good = sum(1 for o in group if o.passed)
        lines.append(f"| {cls} | {len(group)} | {good} | {errors} | {len(group) - good - errors} |")
    total = len(outcomes)
    good = sum(1 for o in outcomes if o.passed)
    errors = sum(1 for o in outcomes if o.error)
    lines.append(f"| **all** | {total} | {good} | {errors} | {total - good - errors} |")
    return "\n".join(lines)


def failures(outcomes: list[Outcome], limit: int = 20) -> list[str]:
    out = []
    for o in outcomes:
        if o.passed:
            continue
        what = f"{o.mutation.cls}: {o.mutation.label}" if o.mutation else "clean copy"
        if o.error:
            out.append(f"{what}: traceback\n{o.error}")
        elif o.mutation is None and o.report is not None:
            out.append(f"{what}: false positive {[(p.kind, p.object) for p in o.report.problems]}")
        else:
            found = [(p.kind, p.object, p.related) for p in (o.report.problems if o.report else [])]
            out.append(f"{what}: not named {o.missing}; found {found[:6]}")
        if len(out) >= limit:
            break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--clean", type=int, default=100, help="clean copies verified")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="liuhen-campaign-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        world = build(root / "world")
        try:
            scratch = root / "scratch"
            scratch.mkdir()
            outcomes = [run_one(world, None, scratch) for _ in range(args.clean)]
            for i, mutation in enumerate(mutations(world, args.mutations, args.seed), start=1):
                outcomes.append(run_one(world, mutation, scratch))
                if i % 500 == 0:
                    elapsed = time.perf_counter() - started
                    print(f"… {i} mutations, {elapsed:.0f} s", file=sys.stderr)
        finally:
            world.stop()
    print(table(outcomes))
    print(f"\n{time.perf_counter() - started:.0f} s, seed {args.seed}")
    for line in failures(outcomes):
        print(line)
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
