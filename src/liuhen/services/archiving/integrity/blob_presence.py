"""Stored files as ``liuhen verify`` checks them by default: each registered file present
with its registered size (one listing of the store, no byte read), and what the fixity
audits found.

Reading every byte again is the rate-limited fixity job's (``liuhen fixity``, and each
``liuhen serve`` on its interval): a store of terabytes of footage re-hashed by every
``verify`` would bind the ledger's check to the disk's speed. Its findings are ledger events
(``integrity.fixity_checked``: the files found intact, and those found missing, altered or
unreadable), checked by this same run's ledger scan, so a file whose newest finding is damage
is reported here as the fixity run found it; files no run has read for longer than the fixity
cycle are counted in a note. ``liuhen verify --blobs`` re-hashes every file in the run, as
the ``verify`` of before did.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from liuhen.services.archiving.integrity.report import VerifyReport
from liuhen.services.archiving.queries.fixity import fixity_runs
from liuhen.store.store import Store

FIXITY = "integrity.fixity_checked"
KINDS = {"missing": "blob_missing", "altered": "blob_altered", "unreadable": "blob_unreadable"}
WORDS = {"missing": "缺失", "altered": "内容已改变", "unreadable": "无法读取"}


def check_present(
    store: Store,
    report: VerifyReport,
    rows: list[dict[str, Any]],
    removed: set[str],
    holders: Any,
    *,
    listing: bool = True,
) -> dict[str, int]:
    """Every row of ``rows`` (registered files; ``removed``: bytes removed by an approved
    disposal) against the store's listing, then the fixity runs' newest findings; returns
    the listing (key → size) for the caller's note on unregistered files. ``holders(sha)``
    gives the records a finding names and the text that says whose they are. ``listing``
    False: each row's file is looked up alone (a few, of a store of many)."""
    if listing:
        listed = {o.sha256: o.size for o in store.blobs.iter_objects()}
    else:
        found = ((r["sha256"], store.blobs.stat(r["sha256"])) for r in rows)
        listed = {sha: o.size for sha, o in found if o is not None}
    kept = [r for r in rows if r["sha256"] not in removed]
    for row in kept:
        sha, name = row["sha256"], f"blob {row['sha256']}"
        if sha not in listed:
            related, whose = holders(sha)
            report.add("blob_missing", name, f"文件缺失（被删除）{whose}", related)
        elif listed[sha] != row["size"]:
            related, whose = holders(sha)
            report.add(
                "blob_altered", name, f"文件大小已改变（{listed[sha]} 字节）{whose}", related
            )
    checked = {r["sha256"] for r in kept if r["sha256"] in listed}
    last = _fixity(store, report, checked, holders)
    _note_overdue(store, report, kept, last)
    return listed


def _fixity(
    store: Store, report: VerifyReport, present: set[str], holders: Any
) -> dict[str, datetime]:
    """The newest fixity finding of each file still present: damage found and not found
    intact since is a finding; returns when each file was last found intact."""
    intact: dict[str, datetime] = {}
    damaged: dict[str, tuple[datetime, str]] = {}
    for occurred_at, payload in fixity_runs(store, FIXITY):
        if not isinstance(payload, dict):
            continue
        for sha in payload.get("checked") or []:
            if isinstance(sha, str):
                intact[sha] = occurred_at
                damaged.pop(sha, None)
        for d in payload.get("damaged") or []:
            if isinstance(d, dict) and isinstance(d.get("sha256"), str):
                damaged[d["sha256"]] = (occurred_at, str(d.get("problem")))
    for sha, (when, problem) in sorted(damaged.items()):
        if sha not in present:
            continue  # missing now: named above
        related, whose = holders(sha)
        report.add(
            KINDS.get(problem, "blob_altered"),
            f"blob {sha}",
            f"定期核对（liuhen fixity，{when:%Y-%m-%d %H:%M}）发现文件"
            f"{WORDS.get(problem, '已改变')}，此后未再核对为完好{whose}",
            related,
        )
    return intact


def _note_overdue(
    store: Store, report: VerifyReport, kept: list[dict[str, Any]], last: dict[str, datetime]
) -> None:
    cycle = store.settings.fixity_cycle_days
    cutoff = store.clock() - timedelta(days=cycle)
    overdue = sum(1 for r in kept if last.get(r["sha256"], r["stored_at"]) < cutoff)
    report.notes.append(
        f"文件内容未在本次校验中重新计算（只核对存在与大小）：由 liuhen fixity 按限速定期核对"
        f"（每 {cycle} 天一轮）；需要时运行 liuhen verify --blobs。"
        + (f"其中 {overdue} 个文件超过 {cycle} 天未核对。" if overdue else "")
    )
