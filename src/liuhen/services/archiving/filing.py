"""Filing (归档移交): handing a closed case's file to the archive's custodian.

Filing is an act (``acts`` row of kind ``filing``, its time and the receiving custodian)
and a new version of the case file (``case_files``: formed, handed over, custodian,
retention term), so the case bundle's ``case_file`` section says when it was handed over and
the profile's ``case_file_deadline`` rule (001§11: 20 days; 002§31, 004§35: 30 days from the
end of the act) finds it done. The filing act is not an enforcement act: the bundle maps it
to ``case_file`` and leaves it out of ``acts``.

At filing, and on demand, the case is assessed for the four properties (四性检测, DA/T 70):
the case is written as an archive package into a temporary directory, the package is
assessed, and the report is kept on the ledger (``case.four_properties_checked``) and, at
filing, in the filing act.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from liuhen.domain import vocab
from liuhen.errors import Conflict, InvalidInput
from liuhen.ledger.events import Actor
from liuhen.rules.gates import after_filing
from liuhen.services.admin.users import get_user
from liuhen.services.archiving.packages import export_package
from liuhen.services.archiving.queries.filing import current_case_file, filing_rows, latest_event_of
from liuhen.services.archiving.retention import schedule_for
from liuhen.services.cases.gates import (
    OVERRIDE_ACTION,
    After,
    Override,
    check_reason,
    hold,
    precheck,
)
from liuhen.services.cases.queries.case_rows import LEDGER_FACTS, CaseRows, ledger_facts
from liuhen.services.permissions import require_case
from liuhen.store.scratch import scratch_dir
from liuhen.store.store import Store
from liuhen.store.unit import new_id

FILING_KIND = "filing"
CHECKED = "case.four_properties_checked"
assert CHECKED in LEDGER_FACTS  # the case page reads the latest report with its other facts
CASE_FILE_TERMS = ("permanent", "30y", "10y")
FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Filing:
    act_id: str
    case_file_id: str
    filed_at: datetime
    custodian_id: str
    custodian: str
    retention_term: str
    four_properties: dict[str, Any]
    event_seq: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "filed_at": self.filed_at.isoformat()}


def check_four_properties(
    store: Store, actor: Actor, case_id: str, *, purpose: str = "on_demand"
) -> dict[str, Any]:
    """四性检测 of a case now: package it in a temporary directory, assess, keep the report."""
    require_case(store, actor, "case.export", case_id)
    with scratch_dir(store.settings, "four-properties") as tmp:
        out = Path(tmp) / "package"
        result = export_package(store, actor, case_id, out, purpose=purpose)
        report = json.loads((out / "data/metadata/four-properties.json").read_text("utf-8"))
    with store.transaction(actor) as tx:
        seq = tx.record(
            CHECKED,
            subject_type="case",
            subject_id=case_id,
            case_id=case_id,
            payload={"purpose": purpose, "export_event": result.event_seq, "report": report},
        )
    return {**report, "purpose": purpose, "event_seq": seq}


def latest_four_properties(store: Store, case_id: str) -> dict[str, Any] | None:
    """The case's latest 四性检测 report (from the ledger), or None."""
    found = latest_event_of(store, case_id, CHECKED)
    if found is None:
        return None
    payload = found["payload"]
    return {**payload["report"], "purpose": payload["purpose"], "event_seq": found["seq"]}


def latest_four_properties_of(store: Store, rows: CaseRows) -> dict[str, Any] | None:
    """``latest_four_properties`` from the case's ledger facts (``ledger_facts``: the one
    ledger query of the case page)."""
    found = ledger_facts(store, rows).get((CHECKED, rows.id))
    if found is None:
        return None
    payload = found["payload"]
    return {**payload["report"], "purpose": payload["purpose"], "event_seq": found["seq"]}


def filing_state(store: Store, case_id: str) -> dict[str, Any]:
    """What the case page shows about filing: closed when, filed when and to whom."""
    found = filing_rows(store, case_id, FILING_KIND)
    return _state(found.closed_at, found.act, found.case_file, found.profile_id)


def filing_state_of(rows: CaseRows) -> dict[str, Any]:
    """``filing_state`` from a case's rows (no query)."""
    filings = [a for a in rows.acts if a["kind"] == FILING_KIND]
    act = max(filings, key=lambda a: a["started_at"], default=None)
    superseded = {f["supersedes_id"] for f in rows.case_files if f["supersedes_id"]}
    current = [f for f in rows.case_files if f["id"] not in superseded]
    case_file = current[-1] if current else None
    return _state(rows.closed_at(), act, case_file, rows.case["profile_id"])


def _state(
    closed: datetime | None,
    act: Mapping[Any, Any] | None,
    case_file: Mapping[Any, Any] | None,
    profile: str,
) -> dict[str, Any]:
    details = (case_file or {}).get("details", {})
    handed = details.get("handed_over_at")
    return {
        "closed_at": closed,
        "filed": act is not None or bool(handed),
        "filed_at": act["started_at"]
        if act
        else (datetime.fromisoformat(handed) if handed else None),
        "custodian": act["details"].get("custodian", "") if act else details.get("custodian", ""),
        "retention_term": (details.get("retention") or {}).get("term", ""),
        "four_properties": act["details"].get("four_properties") if act else None,
        "default_term": schedule_for(profile).case_file_term,
    }


def _filed(at: datetime, custodian: str) -> After:
    """The step of handing the case file over at ``at`` (for the ``file`` gate)."""
    return lambda _bundle, case: after_filing(case, at, custodian)


def file_case(
    store: Store,
    actor: Actor,
    case_id: str,
    *,
    custodian_id: str,
    filed_at: datetime | None = None,
    retention_term: str = "",
    note: str = "",
    check: bool = True,
    case: Mapping[str, Any] | None = None,
    override: Override | None = None,
) -> Filing:
    """Hand a closed case's file to a custodian; 四性检测 runs first and is kept with it.

    ``check=False``: the caller runs the check right after (``check_four_properties`` with
    purpose ``filing``, the web server on its background worker): the filing act then
    records it as pending and the ledger holds the report when it is done. Refused while
    findings blocking the ``file`` gate are open, unless ``override`` (the head's, with a
    reason: ``services/cases/gates``).

    Long: one ordered sequence: validate, run 四性检测 (its own transaction and ledger event, whose
    result the filing records), then one transaction that supersedes the case file, inserts the
    filing act and records case.filed; the check must sit between the validation and the write,
    and the three writes must stay in the one transaction."""
    loaded = require_case(store, actor, "case.export", case_id, case)
    if override is not None:
        require_case(store, actor, OVERRIDE_ACTION, case_id, loaded)
    check_reason(override)
    now = store.clock()
    filed_at = filed_at or now
    state = filing_state(store, case_id)
    term = retention_term or state["default_term"]
    problems = []
    custodian = get_user(store, custodian_id) if custodian_id else None
    if (
        custodian is None
        or custodian.disabled
        or "custodian" not in custodian.roles
        or custodian.agency_id not in (None, loaded.get("agency_id"))  # another agency's too
    ):
        problems.append(
            "custodian: 请选择接收案卷的档案管理员（须为本机关在用的档案/音像管理员账户）"
        )
    if term not in CASE_FILE_TERMS:
        allowed = "、".join(vocab.RETENTION_TERMS[t_] for t_ in CASE_FILE_TERMS)
        problems.append(f"retention_term: 案卷保存期限应为{allowed}之一")
    if filed_at.tzinfo is None:
        problems.append("filed_at: 移交时间须带时区")
    elif filed_at > now + FUTURE_SLACK:
        problems.append("filed_at: 移交时间不能晚于现在")
    elif state["closed_at"] is not None and filed_at < state["closed_at"]:
        problems.append("filed_at: 移交时间不能早于结案时间")
    if problems:
        raise InvalidInput("归档移交信息有误", details=problems)
    if state["closed_at"] is None:
        raise Conflict("case: 案件尚未结案，结案后才能形成案卷、归档移交")
    if state["filed"]:
        raise Conflict(f"case: 案卷已于 {state['filed_at']:%Y-%m-%d %H:%M} 归档移交，不能重复移交")
    assert custodian is not None
    after = _filed(filed_at, custodian.display_name)
    if check:  # refused before the package is written, not after
        precheck(store, loaded, "file", after, now=now, override=override)
        report = check_four_properties(store, actor, case_id, purpose="filing")
        summary = {
            "ok": report["ok"],
            "summary": report["summary"],
            "event_seq": report["event_seq"],
        }
    else:
        report = {"ok": None, "event_seq": None}
        summary = {"pending": True}
    act_id, file_id = new_id(), new_id()
    with store.transaction(actor) as tx:
        tx.lock("cases", case_id)  # two filings at once: the second sees the first
        with_tx = current_case_file(tx.conn, case_id)
        if with_tx and with_tx["details"].get("handed_over_at"):
            raise Conflict("case: 案卷刚由他人归档移交，不能重复移交")
        hold(tx, store, loaded, "file", after, now=now, override=override, subject=("act", act_id))
        details = dict((with_tx or {}).get("details", {}))
        details.update(
            {
                "handed_over_at": filed_at.astimezone(store.settings.tz).isoformat(),
                "custodian": custodian.display_name,
                "retention": {"term": term},
            }
        )
        tx.insert(
            "case_files",
            {
                "id": file_id,
                "case_id": case_id,
                "supersedes_id": with_tx["id"] if with_tx else None,
                "formed_at": (with_tx or {}).get("formed_at") or filed_at,
                "details": details,
                "created_by": actor.id or "system",
                "created_at": now,
            },
        )
        tx.insert(
            "acts",
            {
                "id": act_id,
                "case_id": case_id,
                "supersedes_id": None,
                "kind": FILING_KIND,
                "started_at": filed_at,
                "ended_at": filed_at,
                "place": "",
                "officer_ids": [],
                "details": {
                    "custodian_id": custodian.id,
                    "custodian": custodian.display_name,
                    "case_file_id": file_id,
                    "retention": {"term": term},
                    "note": note.strip(),
                    "four_properties": summary,
                },
                "created_by": actor.id or "system",
                "created_at": now,
            },
        )
        seq = tx.record(
            "case.filed",
            subject_type="case",
            subject_id=case_id,
            case_id=case_id,
            payload={
                "act_id": act_id,
                "case_file_id": file_id,
                "custodian_id": custodian.id,
                "filed_at": filed_at.isoformat(),
                "retention_term": term,
                "four_properties_ok": report["ok"],
                "four_properties_event": report["event_seq"],
            },
        )
    return Filing(
        act_id, file_id, filed_at, custodian.id, custodian.display_name, term, summary, seq
    )
