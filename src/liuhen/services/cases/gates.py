"""Gates in use: deciding (a decision document), closing and filing a case are refused while
findings that block them are open (``rules/gates``: which rules block which step is the
profile's ``blocks``), unless a user holding the head's override (``gate.override``, the
机关负责人) gives a reason. The override is one ledger event, ``case.gate_overridden``,
recorded in the step's own transaction with the findings it went past; the case page and
the case file show it. The web, the API and the CLI all reach the steps through these
services, so none can step around the gate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from liuhen.domain import vocab
from liuhen.domain.case import Case
from liuhen.domain.finding import STATUSES, Finding
from liuhen.errors import GateBlocked, InvalidInput
from liuhen.rules.gates import blocking, preview
from liuhen.rules.sources.bundle import stored_case
from liuhen.rules.sources.profiles import load_profile
from liuhen.services.cases.bundles import bundle_of
from liuhen.services.cases.queries.case_rows import CaseRows, ledger_facts, rows_on
from liuhen.store.store import Store
from liuhen.store.unit import Tx

OVERRIDE_EVENT = "case.gate_overridden"
OVERRIDE_ACTION = "gate.override"
REASON_LIMIT = 1000
After = Callable[[dict[str, Any], Case], Case]
"""The case as the step would leave it, from the case's bundle and its ``Case``."""


@dataclass(frozen=True)
class Override:
    """The head's explicit decision to take a gated step past its open findings."""

    reason: str


def action_for(own: str, override: Override | None) -> str:
    """The permission a gated step needs: its own, or with an override the head's."""
    return OVERRIDE_ACTION if override is not None else own


def check_reason(override: Override | None) -> None:
    """An override says why, in a reason of reasonable length (InvalidInput naming it)."""
    if override is None:
        return
    reason = override.reason.strip()
    if not reason:
        raise InvalidInput("越过提示须说明理由", details=["override_reason: 请写明越过提示的理由"])
    if len(reason) > REASON_LIMIT:
        raise InvalidInput(
            "越过提示的理由过长",
            details=[f"override_reason: 理由不能超过 {REASON_LIMIT} 字（现为 {len(reason)} 字）"],
        )


def open_blocking(
    store: Store, conn: Any, case: Mapping[str, Any], gate: str, after: After, now: datetime
) -> list[Finding]:
    """The findings that would hold ``gate`` if the step were taken, read on ``conn``."""
    bundle = bundle_of(rows_on(conn, case), store.settings.tz)
    profile_id = bundle["agency"].get("profile")
    if not profile_id:
        return []  # an agency without a profile: nothing to check against
    changed = after(bundle, stored_case(bundle))
    return blocking(changed, load_profile(str(profile_id)), store.calendar(), now, gate)


def refuse(gate: str, found: list[Finding]) -> GateBlocked:
    """The refusal listing every open finding with its article, and what to do."""
    name = vocab.GATES[gate]
    return GateBlocked(
        f"不能{name}：尚有 {len(found)} 项未解决的评查发现。请先补正；确需{name}的，"
        "须由机关负责人在案件页“下一步”中说明理由，越过提示",
        details=[finding_line(f) for f in found],
    )


def hold(
    tx: Tx,
    store: Store,
    case: Mapping[str, Any],
    gate: str,
    after: After,
    *,
    now: datetime,
    override: Override | None,
    subject: tuple[str, str],
) -> list[Finding]:
    """In the step's transaction (after its locks, before its writes): refuse the step while
    blocking findings are open, or record the override with the findings it goes past."""
    found = open_blocking(store, tx.conn, case, gate, after, now)
    if not found:
        return []
    if override is None:
        raise refuse(gate, found)
    tx.record(
        OVERRIDE_EVENT,
        subject_type=subject[0],
        subject_id=subject[1],
        case_id=str(case["id"]),
        payload={
            "gate": gate,
            "reason": override.reason.strip(),
            "findings": [
                {
                    "rule": f.rule_id,
                    "citation": f.citation,
                    "status": f.status,
                    "severity": f.severity,
                    "message": f.message,
                }
                for f in found
            ],
        },
    )
    return found


def precheck(
    store: Store,
    case: Mapping[str, Any],
    gate: str,
    after: After,
    *,
    now: datetime,
    override: Override | None,
) -> None:
    """The same refusal before slow work (rendering, packaging), so nothing is made for a
    step that will be refused; the step's transaction decides again (``hold``)."""
    if override is not None:
        return
    with store.read() as conn:
        found = open_blocking(store, conn, case, gate, after, now)
    if found:
        raise refuse(gate, found)


def with_record(record: Mapping[str, Any]) -> After:
    """The step that adds ``record`` (bundle form, with its id) to the case."""

    def after(bundle: dict[str, Any], _case: Case) -> Case:
        return stored_case({**bundle, "text_records": [*bundle["text_records"], dict(record)]})

    return after


def decides(kind: str, doc_kind: str) -> bool:
    """Adding a record of this kind is the case's decision (the ``decide`` gate)."""
    return kind == "text" and doc_kind in vocab.DECISION_DOCUMENTS


def override_entry(
    seq: int, at: datetime, actor: str, payload: Mapping[str, Any]
) -> dict[str, Any]:
    """One override as the case page and the case file show it."""
    gate = str(payload.get("gate", ""))
    return {
        "seq": seq,
        "at": at,
        "actor": actor,
        "gate": gate,
        "gate_name": vocab.GATES.get(gate, gate),
        "reason": str(payload.get("reason", "")),
        "findings": list(payload.get("findings", [])),
    }


def overrides_of(store: Store, rows: CaseRows) -> list[dict[str, Any]]:
    """The case's overrides, oldest first, from the case page's ledger facts (no query of
    their own: ``ledger_facts`` reads every fact of the case page at once)."""
    facts = ledger_facts(store, rows)
    found = [
        override_entry(fact["seq"], fact["at"], str(fact["actor"]), fact["payload"])
        for (action, _subject), fact in facts.items()
        if action == OVERRIDE_EVENT
    ]
    return sorted(found, key=lambda o: o["seq"])


def describe_override(entry: Mapping[str, Any], tz: tzinfo) -> str:
    """One line: when, who, which step, why, and what was open (with the articles)."""
    open_ = "；".join(f"{f.get('citation', '')} {f.get('message', '')}" for f in entry["findings"])
    return (
        f"{entry['at'].astimezone(tz):%Y-%m-%d %H:%M} {entry['actor']}越过评查提示"
        f"{entry['gate_name']}（全过程日志 #{entry['seq']}）。理由：{entry['reason']}。"
        f"当时未解决的评查发现 {len(entry['findings'])} 项：{open_}"
    )


def preview_gate(
    store: Store, case: Mapping[str, Any], gate: str, now: datetime | None = None
) -> list[Finding]:
    """What would hold ``gate`` if the case took the step now (the override page's list):
    the case's rows read once, the rules' ``preview``."""
    with store.read() as conn:
        bundle = bundle_of(rows_on(conn, case), store.settings.tz)
    profile_id = bundle["agency"].get("profile")
    if not profile_id:
        return []
    moment = now or store.clock()
    profile = load_profile(str(profile_id))
    return preview(stored_case(bundle), profile, store.calendar(), moment, gate)


def finding_line(f: Finding) -> str:
    """A finding on one line, with its article (refusals, the override page)."""
    return f"{f.citation}（{STATUSES.get(f.status, f.status)}）：{f.message}"
