"""The columns of a case summary's row in the index, derived from the summary alone (no
query): the time-independent ones lists read (``index_columns``), the case's share of the
dashboard as of a moment (``share_columns``) and its footage still due per officer
(``footage_rows``). ``store/summary_index`` writes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from liuhen.domain.finding import PENDING, VIOLATION
from liuhen.rules.sources.summary_state import FOREVER, state_at, state_changes_at
from liuhen.store.search import search_terms, search_text

INDEX_COLUMNS = (
    "number",
    "title",
    "party_name",
    "procedure",
    "opened_at",
    "month",
    "created_by",
    "marks",
    "version",
    "calendar_key",
    "recompute_at",
    "unreadable",
    "findings",
    "violations",
    "pending_dues",
    "first_pending_due",
    "last_pending_due",
    "pending_undated",
    "av_needed",
    "av_have",
    "av_total",
    "av_missing",
    "search_text",
    "search_terms",
)
SORT_KEYS = ("opened_at", "number")
"""The case's columns an officer's case list is read in order by (migration 0011)."""
INBOX_COPIES = ("agency_id", "c_oldest_overdue", "c_next_due", "c_overdue")
"""The case's columns an officer's 我的待办 is chosen by (migration 0031); the share columns
among them change as deadlines pass, so ``sweep`` copies them again."""


SHARE_COLUMNS = (
    "contrib_at",
    "c_until",
    "c_violations",
    "c_overdue",
    "c_av_late",
    "c_av_waiting",
    "c_case_file",
    "c_categories",
    "c_oldest_overdue",
    "c_next_due",
)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def marks(confidentiality: Iterable[str]) -> str:
    """Confidentiality marks as one comparable text: "" or "|a|b|" (sorted, each once)."""
    found = sorted(set(confidentiality))
    return "|" + "|".join(found) + "|" if found else ""


def index_columns(
    summary: Mapping[str, Any], *, created_by: str, confidentiality: Iterable[str], tz: tzinfo
) -> dict[str, Any]:
    """The time-independent columns of one summary's row."""
    findings = summary.get("findings") or []
    dues = sorted(
        datetime.fromisoformat(f["due"]) for f in findings if f["status"] == PENDING and f["due"]
    )
    opened = _when(summary.get("opened_at"))
    av = summary.get("av_acts") or {"needed": [], "have": []}
    party = str((summary.get("party") or {}).get("name", ""))
    number, title = str(summary.get("number", "")), str(summary.get("title", ""))
    return {
        "number": number,
        "title": title,
        "party_name": party,
        "procedure": summary.get("procedure", ""),
        "opened_at": opened,
        "month": opened.astimezone(tz).strftime("%Y-%m") if opened else "",
        "created_by": created_by,
        "marks": marks(confidentiality),
        "version": int(summary.get("v", 0)),
        "calendar_key": summary.get("calendar", ""),
        "recompute_at": _when(summary.get("recompute_at")),
        "unreadable": summary.get("error") is not None,
        "findings": len(findings),
        "violations": sum(1 for f in findings if f["status"] == VIOLATION),
        "pending_dues": [d.isoformat() for d in dues],
        "first_pending_due": dues[0] if dues else None,
        "last_pending_due": dues[-1] if dues else None,
        "pending_undated": sum(1 for f in findings if f["status"] == PENDING and not f["due"]),
        "av_needed": len(av["needed"]),
        "av_have": len(av["have"]),
        "av_total": len(summary.get("av_records") or ()),
        "av_missing": len(summary.get("av_due") or ()),
        "search_text": search_text(number, title, party),
        "search_terms": search_terms(number, title, party),
    }


def share_columns(summary: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The case's share of the dashboard as of ``now`` (``c_*``), and until when it holds."""
    st = state_at(summary, now)
    until = state_changes_at(summary, now) if st.violations is not None else FOREVER
    return {
        "contrib_at": now,
        "c_until": None if until == FOREVER else until,
        "c_violations": st.violations or 0,
        "c_overdue": len(st.overdue),
        "c_av_late": st.av_late,
        "c_av_waiting": st.av_waiting,
        "c_case_file": st.case_file,
        "c_categories": st.categories,
        "c_oldest_overdue": _when(st.overdue[0]["due"]) if st.overdue else None,
        "c_next_due": _when(st.due[0]["due"]) if st.due else None,
    }


def footage_rows(case_id: str, summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``footage_due`` rows of one summary (each act once per officer on it)."""
    return [
        {
            "case_id": case_id,
            "act_id": item["act"],
            "officer_id": officer,
            "due": _when(item["due"]),
            "number": summary.get("number") or "",
            "item": item,
        }
        for item in summary.get("av_due") or ()
        for officer in sorted(set(item["officers"]))
    ]
