"""Exports a crash cut short, settled at the next start (``archive.export_journal``).

Each journalled export nobody is writing any more is settled by what the ledger holds:

- no ``case.exported`` event with its id: nothing was exported; the partial folder (which
  holds copies of evidence) is removed;
- an event, for a package written only to be assessed (``filing``, ``on_demand``): the
  temporary package is removed, as the assessment would have removed it;
- an event for an export: the package is completed as the export would have completed it:
  every file checked against the event's ``contents``, then the export record, the tag
  manifests and the rename to ``--out`` (``PackageWriter.seal``). So an export event always
  has its package. When that cannot be done (the folder is gone or differs from the event,
  ``--out`` is taken) the entry stays with a ``<id>.problem`` note beside it, each start logs
  it again, and ``leftovers`` reports the event without its package until an operator
  settles it (by removing the note and the entry once the package is re-exported).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from liuhen.archive.digests import file_digests
from liuhen.archive.export_journal import ExportEntry, ExportJournal
from liuhen.archive.package import EXPORT_RECORD, Digest, PackageWriter
from liuhen.archive.verify_bag import files_on_disk
from liuhen.errors import LiuhenError
from liuhen.ledger.checkpoint import checkpoint_from_dict
from liuhen.services.archiving.package_ledger import export_journal_dir, export_record
from liuhen.services.archiving.queries.packages import export_event
from liuhen.store.store import Store

log = logging.getLogger("liuhen.recovery")
REWRITTEN = frozenset({EXPORT_RECORD, "tagmanifest-sha256.txt", "tagmanifest-sm3.txt"})
"""What ``seal`` writes, so what a crash may have left half-written: written again."""


def journal(store: Store) -> ExportJournal:
    return ExportJournal(export_journal_dir(store.settings))


def problem_note(entry_path: Path) -> Path:
    return entry_path.with_name(entry_path.name.removesuffix(".json") + ".problem")


def recover_exports(store: Store) -> list[str]:
    """Settle every export a crash cut short; one message each (see the module docstring)."""
    done = []
    for path, entry, fd in journal(store).unheld():
        try:
            message, settled = _settle(store, entry)
            if settled:
                path.unlink(missing_ok=True)
                problem_note(path).unlink(missing_ok=True)
            else:
                problem_note(path).write_text(message + "\n", "utf-8")
        finally:
            os.close(fd)
        done.append(message)
        (log.warning if settled else log.error)(message)
    return done


def _settle(store: Store, entry: ExportEntry | None) -> tuple[str, bool]:
    """(what was done, whether the entry is settled)."""
    if entry is None:
        return "无法读取的导出记录已删除", True
    partial, out = Path(entry.partial), Path(entry.out)
    event = export_event(store, entry.case_id, entry.export_id)
    if event is None or entry.purpose != "export":
        if not partial.exists():
            return f"中断的导出（{entry.export_id}）未留下文件，已删除其记录", True
        shutil.rmtree(partial, ignore_errors=True)
        why = "未记入导出事件" if event is None else "仅供四性检测的临时包"
        return f"已删除中断的导出留下的临时目录 {partial}（{why}）", True
    seq = event["seq"]
    if not partial.exists() and _sealed(out, seq):
        return f"导出事件 #{seq} 的归档包 {out} 已完整", True
    try:
        problem = _complete(store, entry, event)
    except (LiuhenError, OSError, ValueError, KeyError, TypeError) as exc:
        problem = f"无法补全：{exc}"
    if problem is None:
        return f"已补全中断的导出：归档包 {out}（导出事件 #{seq}）", True
    return (
        f"导出事件 #{seq}（案件 {entry.case_id}）没有对应的完整归档包：{problem}。"
        f"请重新导出该案件，并在核对后删除 {export_journal_dir(store.settings)} 中的 "
        f"{entry.export_id}.json 与 .problem",
        False,
    )


def _sealed(out: Path, seq: int) -> bool:
    """``out`` holds the package of event ``seq`` (its export record names it)."""
    try:
        record = json.loads((out / EXPORT_RECORD).read_text("utf-8"))
        return bool(record["event"]["seq"] == seq)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _complete(store: Store, entry: ExportEntry, event: dict[str, Any]) -> str | None:
    """Seal the partial package as the export would have; the problem, or None when done."""
    partial, out = Path(entry.partial), Path(entry.out)
    if not partial.is_dir():
        return f"临时目录 {partial} 已不存在"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        return f"目标目录 {out} 已被占用"
    contents = {str(c["path"]): c for c in event["payload"]["contents"]}
    on_disk = set(files_on_disk(partial)) - REWRITTEN
    if on_disk != set(contents):
        differ = sorted(on_disk ^ set(contents))
        return f"临时目录中的文件与导出事件所列不符（{'、'.join(differ[:5])}）"
    for rel, c in contents.items():
        if file_digests(partial / rel) != (c["sha256"], c["sm3"], int(c["size"])):
            return f"临时目录中的 {rel} 与导出事件记载的摘要不符"
    excerpt = json.loads((partial / "data/ledger/checkpoint.json").read_text("utf-8"))
    checkpoint, _signature, _fingerprint = checkpoint_from_dict(excerpt)
    record, _ = export_record(store, entry.case_id, event["seq"], checkpoint)
    tags = {
        rel: Digest(c["sha256"], c["sm3"], int(c["size"]))
        for rel, c in contents.items()
        if not rel.startswith("data/")
    }
    PackageWriter.reopen(partial, out, tags).seal(record)
    return None


def stale_exports(store: Store, older_than: float) -> list[tuple[Path, str, float]]:
    """(path, what, age in seconds) of exports a crash cut short that no start has settled,
    older than ``older_than`` seconds, and of every export a start could not complete (at any
    age: its event has no package); reads only."""
    out = []
    for path, entry, age in journal(store).stale(0.0):
        note = problem_note(path)
        if note.exists():
            out.append((path, note.read_text("utf-8").strip(), age))
        elif age >= older_than:
            where = entry.partial if entry is not None else str(path)
            out.append((path, f"中断的导出尚未处理：{where}", age))
    return out
