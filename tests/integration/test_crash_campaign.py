"""The crash campaign's fast slice (issue 13): kill -9 at chosen points of ``import-av``,
``import``, ``export``, a tus upload, views through the group commit and write transactions
of eight threads (every view and write acknowledged before the kill is on the ledger and was
signed over); after the next start no orphan, no temporary file,
no event without its object, ``liuhen verify`` clean; then the operation finishes as its
user would finish it.

The points are named by the LiuHen function making the call (``hooks``), so they stay the
same points when unrelated code changes. The full run (every traced call, ≥300 points) is
``python -m tests.crash.campaign``; its result is in docs/security.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.crash.campaign import Point, run_point, table
from tests.crash.world import World, build_world, drop_world

pytestmark = pytest.mark.slow

SQLITE_POINTS = [
    # a blob put in place, the next one's temp file written, nothing committed
    Point("import-av", "rename", 2, "store.blobs.spool:move_to"),
    # a whole recording's blobs in place, its transaction not committed: three orphans
    Point("import-av", "commit", 1),
    # committed, the signed checkpoint not yet in the checkpoint log
    Point("import-av", "log.append", 1),
    Point("import", "log.append", 1),
    # a package half written, no export event: the partial folder goes
    Point("export", "fsync", 3, "archive.package:_write"),
    # the export event committed, the package not sealed: the start completes it
    Point("export", "log.append", 1),
    # an upload's info written, its start event not committed: nobody knows its id
    Point("upload", "commit", 1),
    # an upload paused after its fifth chunk: kept, and the station resumes it
    Point("upload", "write", 6, "services.av.upload_staging:write"),
    # the whole file moved aside for ingest and linked into the store, its row not committed
    Point("upload", "fsync", 1, "store.blobs.local:_link_durably"),
    # group commit: a batch of views committed, its checkpoint not yet in the log (nobody
    # was answered), and a later batch's commit sent while earlier ones were answered
    Point("views", "log.append", 1),
    Point("views", "commit", 4),
    # write transactions of eight threads sharing commits: one committed, its checkpoint not
    # in the log (nobody answered); a later one's commit sent while earlier ones were answered
    Point("writes", "log.append", 1),
    Point("writes", "commit", 5),
]
POSTGRES_POINTS = [
    Point("import-av", "commit", 1),
    Point("upload", "write", 3),
    Point("views", "log.append", 3),
    Point("writes", "commit", 4),
]


def _points(points: list[Point]) -> list[Point]:
    """``upload`` is the campaign's ``tus`` operation; sites become ``kind@site`` points."""
    out = []
    for p in points:
        op = "tus" if p.op == "upload" else p.op
        out.append(Point(op, f"{p.kind}@{p.site}" if p.site else p.kind, p.n, p.site))
    return out


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    world = build_world(tmp_path_factory.mktemp("crash") / "world", documents=0)
    yield world
    drop_world(world)


@pytest.mark.parametrize("point", _points(SQLITE_POINTS), ids=lambda p: p.label().strip())
def test_after_a_kill_the_next_start_leaves_a_clean_store(
    sqlite_world: World, point: Point, tmp_path: Path
) -> None:
    outcome = run_point(sqlite_world, point, tmp_path, resume=True)
    assert outcome.killed, f"{point.label()} was never reached: the point no longer exists"
    assert outcome.problems == [], table([outcome])


@pytest.mark.postgres
def test_kills_on_postgresql_leave_a_clean_store(tmp_path: Path, pg_admin_engine) -> None:  # type: ignore[no-untyped-def]
    world = build_world(tmp_path / "world", "postgres", documents=0)
    try:
        outcomes = [run_point(world, p, tmp_path, resume=True) for p in _points(POSTGRES_POINTS)]
    finally:
        drop_world(world)
    assert all(o.killed for o in outcomes) and all(not o.problems for o in outcomes), table(
        outcomes
    )


CADENCE_POINTS = [
    # checkpoints at most every 250 ms: batches of views committed and answered, unsigned,
    # when the process dies at a later commit (or at its signer's, or as it writes the log)
    Point("views", "commit", 3),
    Point("views", "commit", 6),
    Point("views", "log.append", 2),
    Point("writes", "commit", 4),
]


@pytest.mark.parametrize("point", CADENCE_POINTS, ids=lambda p: p.label().strip())
def test_a_kill_with_checkpoints_every_250_ms_loses_no_acknowledged_view(
    sqlite_world: World, point: Point, tmp_path: Path
) -> None:
    """Every view answered before the kill is on the ledger; the next start signs the tail
    the killed process left unsigned, and ``liuhen verify`` is clean."""
    outcome = run_point(sqlite_world, point, tmp_path, LIUHEN_CHECKPOINT_MS="250")
    assert outcome.killed, f"{point.label()} was never reached: the point no longer exists"
    assert outcome.problems == [], table([outcome])
