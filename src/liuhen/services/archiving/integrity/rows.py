"""Every tracked row against the digest its ledger event recorded, every cell decodable, and
every blob against its SHA-256, SM3 and size, naming the records (and cases) that hold a
blob that is missing or changed.

The rows are read once, cell by cell: the blobs, their holders and the disposal tombstones
are taken from that same read, so a damaged cell in any of them is a finding, not a crash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from liuhen.errors import LiuhenError
from liuhen.services.archiving.integrity.blob_presence import check_present
from liuhen.services.archiving.integrity.report import Progress, VerifyReport
from liuhen.services.archiving.queries.integrity import tracked_rows, tracked_rows_by_key
from liuhen.store import table_kinds
from liuhen.store.raw_rows import RawRow
from liuhen.store.rows import row_digest
from liuhen.store.store import Store


@dataclass
class StoredRows:
    """What the blob check needs from the rows: the blobs as registered, which records hold
    each blob, each record's case, each case's number, and the disposals."""

    blobs: list[dict[str, Any]] = field(default_factory=list)
    holders: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    record_case: dict[str, str] = field(default_factory=dict)
    case_number: dict[str, str] = field(default_factory=dict)
    disposals: list[dict[str, Any]] = field(default_factory=list)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    case_officers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def check_rows(
    store: Store, report: VerifyReport, latest: dict[tuple[str, str], str], *, every: bool = True
) -> StoredRows:
    """Every tracked row (``every``), or only those ``latest`` names (a run continued from
    the last: the rows the new events wrote), against the digest its newest event recorded."""
    seen: set[tuple[str, str]] = set()
    kept = StoredRows()
    named: dict[str, tuple[str, str]] = {}  # a problem's object -> (case id, record id)
    rows = tracked_rows(store) if every else tracked_rows_by_key(store, latest)
    for table, row in rows:
        pk = table_kinds.primary_key_name(table)
        key = str(row.values[pk] if row.values[pk] is not None else row.raw[pk])
        seen.add((table, key))
        report.rows += 1
        before = len(report.problems)
        _check_row(report, table, key, row, latest.get((table, key)))
        for p in report.problems[before:]:
            named[p.object] = _owner(table, row.values)
        _keep(kept, table, row.values)
    for table, key in sorted(set(latest) - seen):
        report.add("row_deleted", f"{table}/{key}", "日志记载的记录在数据库中不存在（被删除）")
    for obj, (case, record) in named.items():
        case = case or kept.record_case.get(record, "")
        if case:
            report.case_numbers[obj] = kept.case_number.get(case, case)
    return kept


def _owner(table: str, v: dict[str, Any]) -> tuple[str, str]:
    """The case a row belongs to (its own id for a case) and the record it belongs to."""
    case = v.get("id") if table == "cases" else v.get("case_id")
    record = v.get("id") if table == "records" else v.get("record_id")
    return (case if isinstance(case, str) else ""), (record if isinstance(record, str) else "")


def _check_row(
    report: VerifyReport, table: str, key: str, row: RawRow, expected: str | None
) -> None:
    name = f"{table}/{key}"
    for p in row.problems:
        report.add("cell_malformed", f"{name}.{p.column}", f"{table} 表的 {p.column} 列{p.message}")
    if expected is None:
        report.add("row_unrecorded", name, "该记录没有对应的日志事件（在系统之外插入）")
    elif not row.problems and row_digest(table, row.values) != expected:
        report.add("row_altered", name, "记录内容与日志中的摘要不符（在系统之外被修改）")


def _keep(kept: StoredRows, table: str, v: dict[str, Any]) -> None:
    if table == "blobs":
        kept.blobs.append(v)
    elif table == "record_files" and v["blob_sha256"] and v["record_id"]:
        kept.holders[v["blob_sha256"]].append(v["record_id"])
    elif table == "records" and v["id"] and v["case_id"]:
        kept.record_case[v["id"]] = v["case_id"]
    elif table == "cases" and v["id"]:
        kept.case_number[v["id"]] = v["number"] or v["id"]
        kept.cases[v["id"]] = v
    elif table == "disposals":
        kept.disposals.append(v)
    elif table == "acts" and v["case_id"] and isinstance(v["officer_ids"], list):
        kept.case_officers[v["case_id"]].update(str(o) for o in v["officer_ids"])


def held_by(kept: StoredRows, sha: str) -> tuple[list[str], str]:
    """The records holding blob ``sha`` (as objects) and a sentence naming them."""
    records = sorted(set(kept.holders.get(sha, ())))
    if not records:
        return [], "（没有记录引用该文件）"
    parts = []
    for rid in records[:5]:
        case = kept.record_case.get(rid)
        number = kept.case_number.get(case, case) if case else None
        parts.append(f"记录 {rid}" + (f"（案件 {number}）" if number else "（未关联案件）"))
    more = f" 等 {len(records)} 条" if len(records) > 5 else ""
    return [f"records/{r}" for r in records], "；所属：" + "、".join(parts) + more


def check_blobs(
    store: Store,
    report: VerifyReport,
    kept: StoredRows,
    progress: Progress | None,
    *,
    rehash: bool = False,
    every: bool = True,
) -> None:
    """The registered files: each present with its size and what the fixity runs found
    (``blob_presence``), or with ``rehash`` each read again and hashed (``--blobs``).
    ``every`` False: ``kept`` holds only some of them (a run continued from the last): each
    is looked up alone, and the files no row registers are not noted."""
    removed = _tombstones(report, kept.disposals)
    rows = [b for b in kept.blobs if isinstance(b.get("sha256"), str)]
    total = sum(int(r["size"] or 0) for r in rows if r["sha256"] not in removed)
    report.blob_bytes = total
    if not rehash:
        listed = check_present(
            store, report, rows, removed, lambda sha: held_by(kept, sha), listing=every
        )
        for sha in removed & listed.keys():
            report.notes.append(
                f"文件 {sha[:16]}… 已按审批处置，但存储中仍有其内容（处置后删除未完成）：可再次删除"
            )
        report.blobs = len(rows)
        if every:
            _note_orphans(report, rows, listed)
        return
    done = 0
    for row in sorted(rows, key=lambda r: (str(r.get("stored_at")), r["sha256"])):
        sha = row["sha256"]
        if sha in removed:
            if store.blobs.exists(sha):
                report.notes.append(
                    f"文件 {sha[:16]}… 已按审批处置，但存储中仍有其内容（处置后删除未完成）：可再次删除"
                )
            report.blobs += 1
            continue
        _check_blob(store, report, kept, row)
        done += int(row["size"] or 0)
        report.blobs += 1
        if progress:
            progress("blobs", done, total)
    if every:
        _note_orphans(report, rows, store.blobs.iter_keys())


def _note_orphans(report: VerifyReport, rows: list[dict[str, Any]], stored: Iterable[str]) -> None:
    known = {r["sha256"] for r in rows}
    orphans = [k for k in stored if k not in known]
    if orphans:
        report.notes.append(
            f"存储中有 {len(orphans)} 个未登记的文件（多为写入中断的残留，不影响已登记记录；"
            "liuhen gc 列出并清理其中超过宽限期的）：" + ", ".join(o[:16] for o in orphans[:5])
        )


def _check_blob(store: Store, report: VerifyReport, kept: StoredRows, row: dict[str, Any]) -> None:
    sha = row["sha256"]
    name = f"blob {sha}"
    related, holders = held_by(kept, sha)
    if not store.blobs.exists(sha):
        report.add("blob_missing", name, f"文件缺失（被删除）{holders}", related)
        return
    try:
        got_sha, got_sm3, got_size = store.blobs.rehash(sha)
    except (OSError, LiuhenError) as exc:
        report.add("blob_unreadable", name, f"文件无法读取：{exc}{holders}", related)
        return
    if (got_sha, got_sm3, got_size) != (sha, row["sm3"], row["size"]):
        report.add(
            "blob_altered",
            name,
            f"文件内容已改变（SHA-256 {got_sha[:16]}…，SM3 {got_sm3[:16]}…，{got_size} 字节）"
            + holders,
            related,
        )


def _tombstones(report: VerifyReport, disposals: list[dict[str, Any]]) -> set[str]:
    """Read the disposal tombstones into the report; return the blobs whose bytes an
    approved disposal removed (their absence is expected, not a problem)."""
    for row in sorted(disposals, key=lambda r: str(r.get("created_at"))):
        d = row["details"] if isinstance(row.get("details"), dict) else {}
        created = row.get("created_at")
        report.disposed.append(
            {
                "sha256": row["blob_sha256"],
                "sm3": d.get("sm3"),
                "size": d.get("size"),
                "record_id": row["record_id"],
                "case_id": row["case_id"],
                "disposed_at": created.isoformat() if created else None,
                "approval_id": d.get("approval_id"),
                "reason": row["reason"],
                "class": d.get("class"),
                "citation": d.get("citation"),
                "bytes_removed": bool(d.get("bytes_removed")),
            }
        )
    for d in report.disposed:
        report.notes.append(
            f"已处置：文件 {str(d['sha256'])[:16]}…（{d['size']} 字节，记录 {d['record_id']}）"
            f"于 {str(d['disposed_at'])[:10]} 经审批 {d['approval_id']} 处置，理由：{d['reason']}"
            f"（{d['citation']}）"
            + ("" if d["bytes_removed"] else "；内容仍被其他记录使用，未删除")
        )
    return {d["sha256"] for d in report.disposed if d["bytes_removed"] and d["sha256"]}
