"""The crash campaign: kill -9 ``import-av``, ``import``, ``export`` and a tus upload at many
points, then start again and check the store (``checks``).

Full run (the result is recorded in docs/security.md, "Crash campaign")::

    PYTHONPATH=src:. python -m tests.crash.campaign --points 300 [--engine postgres] [--resume]

Each operation is first run once with its calls traced (``hooks``): every ``write``,
``fsync``, ``rename``, ``unlink``, ``commit`` and ``log.append`` it makes, in order, with the
LiuHen function that made it. The points are spread evenly over those calls (the first and
last of each kind always among them) up to ``--points`` in all. For each point, on a fresh
copy of the store (``world``): the operation runs in a child process that ``os._exit(137)``s
at that call; then the next start (``checks.next_start``) and the checks; with ``--resume``,
the operation is then finished the way its user would (the station resumes its upload, the
operator runs the command again) and the store checked once more. Prints a table by
operation and kind; exits 1 when any point left a problem.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from tests.crash import checks
from tests.crash.hooks import EXIT_CODE, KINDS
from tests.crash.world import OPS, World, build_world, copy_world, drop_copy, drop_world, env_of

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Point:
    op: str
    kind: str
    n: int
    site: str = ""

    def label(self) -> str:
        return f"{self.op} {self.kind}:{self.n} {self.site}"


@dataclass
class Outcome:
    point: Point
    killed: bool
    problems: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    seconds: float = 0.0


def child(
    world: World, settings: object, op: str, out: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``op`` in a child process with the hooks (``env`` sets LIUHEN_CRASH_*)."""
    return subprocess.run(
        [sys.executable, "-m", "tests.crash.driver", *world.argv(op, out)],
        env={
            **os.environ,
            **env_of(settings),  # type: ignore[arg-type]
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            **env,
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@dataclass
class Traced:
    points: list[Point]
    seconds: float
    """How long the operation ran uninterrupted, from when the hooks were installed (after
    the imports): delay points fall within it."""


def trace(world: World, op: str, work: Path) -> Traced:
    """Every kill point of ``op``: its calls, in order, on a copy of the store."""
    dest = work / f"trace-{op}"
    settings = copy_world(world, dest)
    path = dest / "trace.txt"
    try:
        done = child(world, settings, op, dest / "exports" / "pkg", LIUHEN_CRASH_TRACE=str(path))
        if done.returncode != 0:
            raise RuntimeError(f"{op} failed without a kill: {done.stderr[-2000:]}")
        points, seconds = [], 0.0
        for line in path.read_text("utf-8").splitlines():
            if line.startswith("duration "):
                seconds = float(line.split()[1])
                continue
            kind, n, site = line.split(" ", 2)
            points.append(Point(op, kind, int(n), site))
        return Traced(points, seconds)
    finally:
        drop_copy(world, settings, dest)


def plan(traced: dict[str, Traced], budget: int, seed: int = 20261203) -> list[Point]:
    """``budget`` points: every traced call when they fit, else an even spread over each
    operation's calls of each kind (the first and last always among them); the rest are
    delay points, spread over each operation's run with seeded jitter."""
    groups = {
        (op, kind): [p for p in t.points if p.kind == kind]
        for op, t in traced.items()
        for kind in KINDS
    }
    groups = {k: v for k, v in groups.items() if v}
    total = sum(len(v) for v in groups.values())
    chosen: list[Point] = []
    for calls in groups.values():
        share = max(2, round(budget * len(calls) / total)) if total > budget else len(calls)
        chosen += _spread(calls, min(share, len(calls)))
    rng = random.Random(seed)
    left = max(0, budget - len(chosen))
    ops = list(traced)
    for i in range(left):
        op = ops[i % len(ops)]
        k, of = i // len(ops), -(-left // len(ops))
        ms = int(1000 * traced[op].seconds * (k + rng.random()) / of)
        chosen.append(Point(op, "delay", ms, f"{ms} ms"))
    return chosen


def _spread(calls: list[Point], k: int) -> list[Point]:
    if k >= len(calls):
        return list(calls)
    if k == 1:
        return [calls[-1]]
    step = (len(calls) - 1) / (k - 1)
    return [calls[round(i * step)] for i in range(k)]


def run_point(
    world: World, point: Point, work: Path, *, resume: bool = False, **env: str
) -> Outcome:
    """Kill ``point.op`` at ``point``, start again, check (and resume, check again).
    ``env``: settings of the killed process (``LIUHEN_CHECKPOINT_MS``: an acknowledged view
    must then be on the ledger, and signed over once the next start has run)."""
    started = time.monotonic()
    dest = work / f"point-{os.getpid()}-{time.monotonic_ns()}"
    settings = copy_world(world, dest)
    out = dest / "exports" / "pkg"
    try:
        at = f"{point.kind}:{point.n}"
        done = child(world, settings, point.op, out, LIUHEN_CRASH_AT=at, **env)
        outcome = Outcome(point, killed=done.returncode == EXIT_CODE)
        if not outcome.killed and done.returncode != 0:
            outcome.problems.append(f"退出码 {done.returncode}：{done.stderr.strip()[-500:]}")
        logged = checks.logged_size(settings)  # before the start signs what was not
        cadence = int(env.get("LIUHEN_CHECKPOINT_MS", "0"))
        recovery = checks.next_start(replace(settings, checkpoint_ms=cadence))  # as it ran
        outcome.recovered = _what(recovery)
        outcome.problems += checks.problems(settings, dest / "exports")
        if cadence:
            logged = checks.logged_size(settings)  # signed by the next start at the latest
        if point.op in ("views", "writes"):
            outcome.problems += checks.acknowledged(settings, done.stdout, logged)
        if resume and outcome.killed and not outcome.problems:
            outcome.problems += [
                f"续做后：{p}" for p in _resume(world, settings, point.op, out, done.stdout)
            ]
        outcome.seconds = time.monotonic() - started
        return outcome
    finally:
        drop_copy(world, settings, dest)


def _what(recovery: checks.Recovery) -> list[str]:
    s = recovery.store
    found = [f"temp:{s.temp_files}"] if s.temp_files else []
    found += [f"orphan:{k[:12]}" for k in s.orphan_blobs]
    found += [f"log+{n}" for n in s.checkpoints_appended.values()]
    return found + recovery.exports + recovery.uploads + recovery.scratch + recovery.failed


def _resume(world: World, settings: object, op: str, out: Path, stdout: str) -> list[str]:
    from tests.crash.resume import resume

    return resume(world, settings, op, out, stdout)  # type: ignore[arg-type]


def table(outcomes: list[Outcome]) -> str:
    """Points, kills and clean restarts by operation and kind, then the failures."""
    cells: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        cells[(o.point.op, o.point.kind)].append(o)
    lines = [f"{'operation':<10} {'kind':<11} {'points':>6} {'killed':>6} {'clean':>6}"]
    for op in OPS:
        for kind in (*KINDS, "delay"):
            got = cells.get((op, kind), [])
            if got:
                clean = sum(1 for o in got if not o.problems)
                killed = sum(1 for o in got if o.killed)
                lines.append(f"{op:<10} {kind:<11} {len(got):>6} {killed:>6} {clean:>6}")
    clean = sum(1 for o in outcomes if not o.problems)
    killed = sum(1 for o in outcomes if o.killed)
    lines.append(f"{'all':<10} {'':<11} {len(outcomes):>6} {killed:>6} {clean:>6}")
    for o in outcomes:
        for p in o.problems:
            lines.append(f"FAIL {o.point.label()}: {p}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--ops", default=",".join(OPS))
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="liuhen-crash-") as tmp:
        work = Path(tmp)
        world = build_world(work / "world", args.engine)
        try:
            traced = {op: trace(world, op, work) for op in args.ops.split(",")}
            points = plan(traced, args.points)
            calls = sum(len(t.points) for t in traced.values())
            print(f"{len(points)} kill points ({calls} traced calls)", flush=True)
            outcomes = []
            for i, point in enumerate(points, 1):
                outcomes.append(run_point(world, point, work, resume=args.resume))
                mark = "ok" if not outcomes[-1].problems else "FAIL"
                print(
                    f"[{i}/{len(points)}] {mark} {point.label()} {outcomes[-1].recovered}",
                    flush=True,
                )
        finally:
            drop_world(world)
    print(table(outcomes))
    print(f"{time.time() - started:.0f} s, engine {args.engine}")
    return 0 if all(not o.problems for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
