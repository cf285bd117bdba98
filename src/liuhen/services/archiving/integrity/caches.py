"""The derived tables, recomputed and compared: nothing that can be recomputed is trusted.

Lists and the dashboard read caches (``store/derived_tables``): each case's summary and the
columns derived from it, its officers, its footage due, its newest change, and the
dashboard's counts summed from every case's share. None is on the ledger, so an edit there
(违规 1 turned into 违规 0) is found only by recomputing it:

- each summary that is current (its case has not changed since, same version and holiday
  schedules) is computed again from the records as of the moment it was computed;
- each row's list columns and dashboard share are derived again from its summary, its
  officers from the case's acts, its footage due from its summary;
- each case's newest change comes from the ledger; the dashboard's counts are summed again
  from the shares.

A difference names the case (or the dashboard group) and the column.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from liuhen.services.archiving.integrity.report import VerifyReport
from liuhen.services.archiving.integrity.rows import StoredRows
from liuhen.services.archiving.queries.integrity import derived_rows
from liuhen.services.cases.summaries import VERSION, compute
from liuhen.store import tables as t
from liuhen.store.dashboard_counts import Deltas
from liuhen.store.raw_rows import RawRow
from liuhen.store.store import Store
from liuhen.store.summary_columns import (
    INBOX_COPIES,
    INDEX_COLUMNS,
    SHARE_COLUMNS,
    SORT_KEYS,
    footage_rows,
    index_columns,
    share_columns,
)

ALTERED = "cache_altered"
COPIED = (*SORT_KEYS, *INBOX_COPIES)
"""The case's columns ``summary_officers`` holds copies of (``summary_index.fill_copies``)."""


def check_caches(
    store: Store,
    report: VerifyReport,
    changes: dict[str, int],
    kept: StoredRows,
    *,
    recompute: bool,
) -> None:
    rows = derived_rows(store)
    summaries = _readable(report, rows)
    report.summaries = len(summaries)
    _check_changes(report, rows["case_changes"], changes)
    for case_id, row in summaries.items():
        _check_columns(store, report, case_id, row, kept)
    _check_officers(report, rows["summary_officers"], summaries, kept, changes)
    _check_footage(report, rows["footage_due"], summaries)
    _check_counts(report, rows, summaries)
    calendar = _calendar_key(store) if recompute else None
    if calendar is None:
        return
    for case_id, row in summaries.items():
        if _current(store, row, changes.get(case_id), calendar):
            _check_summary(store, report, case_id, row)


def _readable(report: VerifyReport, rows: dict[str, list[RawRow]]) -> dict[str, dict[str, Any]]:
    """Every derived row's malformed cells reported; the readable summaries by case."""
    keys = {name: [c.name for c in t.metadata.tables[name].primary_key] for name in rows}
    out: dict[str, dict[str, Any]] = {}
    for name, table_rows in rows.items():
        for row in table_rows:
            key = "|".join(str(row.values[k] or row.raw[k]) for k in keys[name])
            for p in row.problems:
                report.add(
                    "cache_cell_malformed",
                    f"{name}/{key}.{p.column}",
                    f"{name} 表的 {p.column} 列{p.message}",
                )
            if name == "case_summaries" and not row.problems:
                out[key] = row.values
    return _with_bodies(report, rows["case_summary_bodies"], out)


def _with_bodies(
    report: VerifyReport, stored: list[RawRow], summaries: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each readable index row with its summary (``case_summary_bodies``); one without the
    other is reported, and a case whose summary cannot be read is left out."""
    found = {str(r.values["case_id"]): r.values["summary"] for r in stored if not r.problems}
    broken = {str(r.values["case_id"] or r.raw["case_id"]) for r in stored if r.problems}
    for case_id in sorted(set(found) - set(summaries) - broken):
        report.add(
            ALTERED, f"case_summary_bodies/{case_id}", "摘要没有对应的索引行（派生数据被改动）"
        )
    out = {}
    for case_id, row in summaries.items():
        if case_id in found:
            out[case_id] = {**row, "summary": found[case_id]}
        elif case_id not in broken:
            report.add(
                ALTERED, f"case_summaries/{case_id}.summary", "案件摘要缺失（派生数据被改动）"
            )
    return out


def _check_changes(report: VerifyReport, stored: list[RawRow], changes: dict[str, int]) -> None:
    held = {r.values["case_id"]: r.values["seq"] for r in stored if not r.problems}
    for case_id in sorted(set(held) | set(changes)):
        if held.get(case_id) != changes.get(case_id):
            report.add(
                ALTERED,
                f"case_changes/{case_id}.seq",
                f"案件最近一次变更记为事件 #{held.get(case_id)}，日志中为 #{changes.get(case_id)}"
                "（派生数据被改动）",
            )


def _check_columns(
    store: Store, report: VerifyReport, case_id: str, row: dict[str, Any], kept: StoredRows
) -> None:
    """The list columns and the dashboard share, derived again from the row's summary."""
    summary, case = row["summary"], kept.cases.get(case_id)
    if case is None:
        report.add(ALTERED, f"case_summaries/{case_id}", "摘要所属的案件不存在（派生数据被改动）")
        return
    try:
        expected = index_columns(
            summary,
            created_by=case["created_by"],
            confidentiality=case["confidentiality"] or (),
            tz=store.settings.tz,
        )
        if row["contrib_at"] is not None:
            expected |= share_columns(summary, row["contrib_at"])
    except (KeyError, TypeError, ValueError, AttributeError):
        report.add(ALTERED, f"case_summaries/{case_id}.summary", "案件摘要无法读取（被改动）")
        return
    for column in (*INDEX_COLUMNS, *SHARE_COLUMNS):
        if column in expected and expected[column] != row[column]:
            report.add(
                ALTERED,
                f"case_summaries/{case_id}.{column}",
                f"案件摘要的 {column} 列为 {row[column]!r}，按摘要应为 {expected[column]!r}"
                "（列表或统计数字被改动）",
            )


def _check_officers(
    report: VerifyReport,
    stored: list[RawRow],
    summaries: dict[str, dict[str, Any]],
    kept: StoredRows,
    changes: dict[str, int],
) -> None:
    """Each case's officers index against the officers its acts name. A summary the case
    changed after (an act recorded since) holds the officers as of then, some of those (acts
    are never rewritten): the list computes it again before showing it."""
    held: dict[str, set[str]] = defaultdict(set)
    copied: set[str] = set()
    for r in stored:
        case_id = str(r.values["case_id"])
        held[case_id].add(str(r.values["officer_id"]))
        row = summaries.get(case_id)
        if row is not None and any(r.values[k] != row.get(k) for k in COPIED):
            copied.add(case_id)
    for case_id in sorted(copied):
        report.add(
            ALTERED,
            f"summary_officers/{case_id}",
            "案件的承办人员索引中抄录的案件字段与案件摘要索引不符（派生数据被改动，影响我的待办与案件列表）",
        )
    for case_id in sorted(set(held) | set(summaries)):
        expected = kept.case_officers.get(case_id, set()) if case_id in summaries else set()
        got = held.get(case_id, set())
        behind = case_id in summaries and _behind(summaries[case_id], changes.get(case_id))
        if got != expected and not (behind and got <= expected):
            report.add(
                ALTERED,
                f"summary_officers/{case_id}",
                "案件的承办人员索引与其执法环节记载的人员不符（派生数据被改动，影响谁能看到此案）",
            )


def _behind(row: dict[str, Any], newest: int | None) -> bool:
    """Whether the case changed after its summary was computed."""
    seq = row.get("source_seq")
    return isinstance(seq, int) and seq < (newest or 0)


def _check_footage(
    report: VerifyReport, stored: list[RawRow], summaries: dict[str, dict[str, Any]]
) -> None:
    held: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for r in stored:
        v = r.values
        held[str(v["case_id"])].add((v["act_id"], v["officer_id"], v["due"]))
    for case_id in sorted(set(held) | set(summaries)):
        try:
            summary = summaries[case_id]["summary"] if case_id in summaries else None
            rows = footage_rows(case_id, summary) if summary is not None else []
        except (KeyError, TypeError, ValueError):
            continue  # an unreadable summary is reported by its columns
        expected = {(f["act_id"], f["officer_id"], f["due"]) for f in rows}
        if held.get(case_id, set()) != expected:
            report.add(
                ALTERED,
                f"footage_due/{case_id}",
                "案件的待上传音像提醒与其摘要不符（派生数据被改动）",
            )


def _check_counts(
    report: VerifyReport, rows: dict[str, list[RawRow]], summaries: dict[str, dict[str, Any]]
) -> None:
    """The dashboard's counts, summed again from every case's stored share."""
    officers: dict[str, list[str]] = defaultdict(list)
    for r in rows["summary_officers"]:
        officers[str(r.values["case_id"])].append(str(r.values["officer_id"]))
    deltas = Deltas()
    for case_id, row in summaries.items():
        try:
            deltas.add(row, sorted(officers.get(case_id, ())), 1)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    fields = t.DASHBOARD_FIELDS
    held = {
        tuple(r.values[k] for k in t.DASHBOARD_KEY): [r.values[f] for f in fields]
        for r in rows["dashboard_counts"]
        if not r.problems
    }
    zero = [0] * len(fields)
    for key in sorted(set(held) | set(deltas.counts)):
        got, want = held.get(key, zero), deltas.counts.get(key, zero)
        for name, a, b in zip(fields, got, want, strict=True):
            if a != b:
                report.add(
                    ALTERED,
                    f"dashboard_counts/{'|'.join(key)}.{name}",
                    f"统计数字 {name} 为 {a}，按各案件份额合计应为 {b}（统计被改动）",
                )
    cats = {
        (*(r.values[k] for k in t.DASHBOARD_KEY), r.values["category"]): r.values["count"]
        for r in rows["dashboard_categories"]
        if not r.problems
    }
    for key in sorted(set(cats) | set(deltas.categories)):
        if cats.get(key, 0) != deltas.categories.get(key, 0):
            report.add(
                ALTERED,
                f"dashboard_categories/{'|'.join(key)}.count",
                f"违规类别统计为 {cats.get(key, 0)}，按各案件份额合计应为 "
                f"{deltas.categories.get(key, 0)}（统计被改动）",
            )


def _calendar_key(store: Store) -> str | None:
    """The holiday schedules' key, or None when a stored schedule cannot be read (its cells
    are reported by the rows; no summary can be recomputed without the calendar)."""
    try:
        return store.calendar().key
    except Exception:  # noqa: BLE001  (a damaged holiday_schedules row)
        return None


def _current(store: Store, row: dict[str, Any], newest: int | None, calendar: str) -> bool:
    """Whether a list would show this summary as it is (a stale one is computed again first)."""
    return (
        row["version"] == VERSION
        and row["calendar_key"] == calendar
        and row["source_seq"] >= (newest or 0)
        and (row["recompute_at"] is None or row["recompute_at"] > store.clock())
    )


def _check_summary(store: Store, report: VerifyReport, case_id: str, row: dict[str, Any]) -> None:
    """The summary computed again from the records, as of when it was computed."""
    try:
        fresh = compute(store, case_id, now=row["computed_at"])
    except Exception:  # noqa: BLE001  (a damaged record: its cells are reported by the rows)
        return
    fresh = json.loads(json.dumps(fresh, ensure_ascii=False, default=str))
    stored = row["summary"]
    if fresh == stored:
        return
    keys = sorted(
        k for k in set(fresh) | set(stored or {}) if fresh.get(k) != (stored or {}).get(k)
    )
    report.add(
        ALTERED,
        f"case_summaries/{case_id}.summary",
        f"案件摘要与按记录重算的结果不符（{'、'.join(keys[:5])}）：列表显示的问题数可能被改动",
    )
