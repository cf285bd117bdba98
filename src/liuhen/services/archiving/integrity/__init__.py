"""``liuhen verify``: re-derive everything that can be re-derived and name what differs.

Checks, in order: the signing key against the fingerprints pinned for it (``key``); the
event chain, recomputed from the events' content (``ledger``); the Merkle tree against every
signed checkpoint, in the database and in the copies kept outside it, and those copies
complete (``signed``); the stored tiles proofs are served from (``tiles``); each
registered witness present, current and agreeing
(``witnesses``); every tracked row against the digest its ledger event recorded and
every cell decodable, and every blob against its SHA-256, SM3 and size (``rows``); and the
derived tables — case summaries and their index, the dashboard's counts — recomputed from
the records (``caches``); and what a crash left that no start has cleaned
(``recovery.leftovers``). Each problem names one object, so an operator can find it.

**Read-only.** ``verify`` writes nothing: no row, no event, no checkpoint, no key. A run is
recorded afterwards, by ``record_verification``, and only when it found the store intact:
one ``integrity.verified`` event, signed like any other, over a tree that ``verify`` just
recomputed and found equal to every signed checkpoint, so the record adds to the ledger
without changing anything that was verified. A run that found damage records nothing:
appending would sign a new checkpoint over the damaged tree (and, after a cut tail, collide
with the sizes already signed), and the evidence is left exactly as it was found. The run's
report is what the command prints or the page shows.
"""

from __future__ import annotations

from datetime import datetime

from liuhen.errors import LiuhenError
from liuhen.ledger.events import Actor
from liuhen.rules.engine.context import fmt_time
from liuhen.services.archiving.integrity.caches import check_caches
from liuhen.services.archiving.integrity.continued import (
    Base,
    bind_key,
    continue_scan,
    last_base,
)
from liuhen.services.archiving.integrity.key import check_key
from liuhen.services.archiving.integrity.ledger import LedgerScan, check_ledger
from liuhen.services.archiving.integrity.report import Problem, Progress, VerifyReport
from liuhen.services.archiving.integrity.rows import check_blobs, check_rows
from liuhen.services.archiving.integrity.signed import check_checkpoints, check_outside
from liuhen.services.archiving.integrity.tiles import check_tiles
from liuhen.services.archiving.integrity.witnesses import check_witnesses
from liuhen.services.archiving.queries.integrity import VERIFIED, duplicates_found
from liuhen.services.permissions import require
from liuhen.store.store import Store

__all__ = ["Problem", "VerifyReport", "record_verification", "verify"]


def verify(
    store: Store,
    actor: Actor,
    *,
    fingerprint: str | None = None,
    caches: bool = True,
    progress: Progress | None = None,
    jobs: int | None = None,
    blobs: bool = False,
    since_last: bool = False,
) -> VerifyReport:
    """Verify the whole store for ``actor`` (who needs ``integrity.verify``); writes nothing.

    ``fingerprint`` is a key fingerprint pinned by the caller (``--fingerprint``), checked
    beside ``LIUHEN_LEDGER_FINGERPRINT`` and event #0. ``caches`` False leaves out the case
    summaries recomputed from the records (one read of each case: the slow part on a large
    store); the derived columns and counts are checked either way. ``jobs``: processes the
    ledger is checked with (``ledger.check_ledger``; None: as many as pay). ``blobs``: read
    every stored file again and hash it; by default each is checked present with its size
    and the fixity runs' findings are reported (``integrity.blob_presence``).
    ``since_last``: continue from the last recorded run, reading only what was written
    since (``continued``); a run in full when there is none to continue from, or when the
    continued run finds anything (so that it is named as in full), with a note saying why."""
    require(actor, "integrity.verify")
    with store.one_snapshot():  # the events, the rows and the derived tables of one moment
        return _verify(store, fingerprint, caches, progress, jobs, blobs, since_last)


def _verify(
    store: Store,
    fingerprint: str | None,
    caches: bool,
    progress: Progress | None,
    jobs: int | None,
    blobs: bool,
    since_last: bool,
) -> VerifyReport:
    why = ""
    if since_last:
        continued, why = _since_last(store, fingerprint, progress, rehash=blobs)
        if continued is not None:
            return continued
    report, scan = _check_ledger(store, fingerprint, bound=True, jobs=jobs, progress=progress)
    if not report.ok:
        report, scan = _check_ledger(store, fingerprint, bound=False, jobs=jobs)
    kept = check_rows(store, report, scan.latest)
    check_blobs(store, report, kept, progress, rehash=blobs)
    check_caches(store, report, scan.changes, kept, recompute=caches)
    check_leftovers(store, report)
    note_duplicates(store, report)
    if why:
        report.notes.insert(0, why)
    return report


def _since_last(
    store: Store, fingerprint: str | None, progress: Progress | None, *, rehash: bool
) -> tuple[VerifyReport | None, str]:
    """The run continued from the last recorded one, when it finds the store intact; else
    None and why the full run follows."""
    base = last_base(store)
    if isinstance(base, str):
        return None, base
    report, scan = _check_ledger(store, fingerprint, bound=True, progress=progress, base=base)
    if report.ok:
        kept = check_rows(store, report, scan.latest, every=False)
        check_blobs(store, report, kept, progress, rehash=rehash, every=False)
        check_leftovers(store, report)
        note_duplicates(store, report)
    if not report.ok:
        return None, (
            f"自上次校验（事件 #{base.seq}）续接的增量校验发现问题，已改为完整校验，以下为完整校验的结果"
        )
    report.since = base.size
    report.notes.insert(
        0,
        f"增量校验：续接上次校验（{_local(store, base.checked_at)}，事件 #{base.seq}）已校验的 {base.size}"
        f" 条事件，校验其后的 {report.events - base.size} 条事件、其后签发的检查点、它们写入的"
        f" {report.rows} 行记录与 {report.blobs} 个文件；更早的事件、其余记录与派生表由完整校验"
        "（不带 --since-last）检查",
    )
    return report, ""


def _local(store: Store, when: str) -> str:
    """An ISO time as the store's zone shows it; as given if it is not an aware time."""
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return when[:19]
    return fmt_time(moment, store.settings.tz) if moment.tzinfo else when[:19]


def _check_ledger(
    store: Store,
    fingerprint: str | None,
    *,
    bound: bool,
    jobs: int | None = None,
    progress: Progress | None = None,
    base: Base | None = None,
) -> tuple[VerifyReport, LedgerScan]:
    """The ledger, its key, its signed checkpoints (in the database and outside it), its
    tiles and its witnesses.

    ``bound``: a payload whose text hashes to the digest its event records is taken as the
    text that was written, below the newest signed checkpoint, without encoding it again to
    see that it is canonical (``store/event_rows``). Sound, because when nothing is found
    every such event is covered by a signed checkpoint whose root is the recomputed tree,
    so its digest is the one that was signed, and only the canonical text written then
    hashes to it. Anything found, and ``verify`` reads everything again in full, so that a
    damaged store is reported exactly, finding by finding, as the full check reports it.

    ``base``: continue from the last recorded run (``continued``); nothing more is checked
    once the base is found not to hold."""
    report = VerifyReport(checked_at=store.clock().isoformat())
    start = None if base is None else continue_scan(store, report, base, bound=bound)
    if not report.ok:
        return report, LedgerScan()
    scan = check_ledger(store, report, bound=bound, jobs=jobs, progress=progress, scan=start)
    try:
        signer = check_key(store, report, scan.genesis, fingerprint, scan.rotations)
        if base is not None:
            bind_key(report, signer, base)
        signed = check_checkpoints(store, report, scan.tree, signer, scan.tail, scan.read_at)
        check_tiles(store, report, scan.tree)
        check_outside(store, report, scan.tree, signer, signed)
        check_witnesses(store, report, scan.tree, signer, signed, scan.witnesses)
        if report.ok and scan.tree.size:
            report.tree_root, report.chain_hash = scan.tree.root().hex(), scan.prev
    finally:
        scan.tree.close()  # its leaves' temporary file
    return report, scan


DUPLICATE_KINDS = {
    "approval_steps": "同一审批步骤或同一人的重复审批意见",
    "records": "同一记录版本的第二个更正版本",
    "acts": "同一执法环节的第二个更正版本",
    "case_files": "同一案卷的第二个新版本",
    "authorisations": "同一授权的第二次撤销",
}


def note_duplicates(store: Store, report: VerifyReport) -> None:
    """Note (not a problem: LiuHen wrote them, each with its event) the rows two writers
    made at once before the database refused it (migration 0014 kept and listed them)."""
    for table, row_id, kept, _constraint in duplicates_found(store)[:50]:
        what = DUPLICATE_KINDS.get(table, table)
        report.notes.append(
            f"{table}#{row_id}：{what}（升级前并发写入，保留未删；以先写入的 {kept} 为准）"
        )


def check_leftovers(store: Store, report: VerifyReport) -> None:
    """What a crash left that no start has removed, untouched for a day (and any export
    whose package a start could not complete): the next start removes or completes them,
    so one still here means no start has run, or one could not."""
    # Here, not at the top: recovery brings 23 MiB of modules that verify's helper process
    # (``ledger.check_ledger``), which imports this package, never uses.
    from liuhen.services.archiving.recovery import leftovers

    try:
        found = leftovers(store)
    except (LiuhenError, OSError) as exc:
        report.add("crash_leftovers_unreadable", "data_dir", f"无法检查崩溃残留：{exc}")
        return
    for left in found:
        report.add(f"crash_{left.kind}", left.where, left.message)


def record_verification(store: Store, actor: Actor, report: VerifyReport) -> int | None:
    """Record an intact run as one ``integrity.verified`` event (its seq); record nothing for
    a run that found problems (the module docstring says why) and return None."""
    if not report.ok:
        return None
    summary = {
        "ok": True,
        "checked_at": report.checked_at,
        "events": report.events,
        "checkpoints": report.checkpoints,
        "rows": report.rows,
        "blobs": report.blobs,
        "summaries": report.summaries,
        "disposed": len(report.disposed),
        "key_fingerprint": report.key_fingerprint,
        "pinned": report.pinned,
        "tree_root": report.tree_root,
        "chain_hash": report.chain_hash,
        "since": report.since,
    }
    with store.transaction(actor) as tx:
        return tx.record(VERIFIED, subject_type="store", subject_id="all", payload=summary)
