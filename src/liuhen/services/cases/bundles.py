"""Case bundles out of the store (import: ``bundle_import``), and the case snapshot the
compliance engine reads.

A case is stored across its tables; every entity keeps its bundle form in ``details`` (less
the columns pulled out for querying), so ``export_bundle`` rebuilds the bundle exactly and
``case_snapshot`` hands the engine the same ``Case`` it would get from the file. Bundle ids
are replaced by database ids on import; references (``act_id``, ``officer_ids`` …) follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from liuhen.domain.case import Case
from liuhen.domain.finding import Finding
from liuhen.ledger.events import Actor
from liuhen.rules import load_bundle, load_profile
from liuhen.rules.engine import evaluate
from liuhen.rules.sources.bundle import stored_case
from liuhen.rules.sources.bundle_migrate import upgrade
from liuhen.rules.sources.calendar import WorkCalendar
from liuhen.services.access.loading import bundle_entries
from liuhen.services.cases.bundle_import import CASE_EXTRAS, FORMAT
from liuhen.services.cases.queries.case_rows import CaseRows, load_rows
from liuhen.services.permissions import load_case, require_case
from liuhen.store.store import Store

# -- export and snapshot --------------------------------------------------------------------


def export_bundle(
    store: Store, actor: Actor, case_id: str, *, case: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The case as a bundle (database ids as bundle ids); the export is on the ledger.
    ``case``: the case as the permission check loaded it (not read again)."""
    loaded = require_case(store, actor, "case.read", case_id, case)
    bundle = assemble_bundle(store, case_id, case=loaded)
    with store.transaction(actor) as tx:
        tx.record(
            "case.exported",
            subject_type="case",
            subject_id=case_id,
            case_id=case_id,
            payload={"format": "bundle"},
        )
    return bundle


def assemble_bundle(
    store: Store, case_id: str, *, case: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Read one case back into bundle form (no event: used for snapshots). ``case``: the case
    as the permission check loaded it (``load_case``), so it is not read again."""
    loaded = dict(case) if case is not None and case.get("id") == case_id else None
    rows = load_rows(store, loaded or load_case(store, case_id))
    return bundle_of(rows, store.settings.tz)


def _agency_out(case: Mapping[str, Any]) -> dict[str, Any]:
    """The bundle's agency: its name, and its profile and the case's section when set."""
    return {
        "name": case["agency_name"],
        **({"profile": case["profile_id"]} if case["profile_id"] else {}),
        **({"unit": case["section"]} if case["section"] else {}),
    }


def _at(row: Mapping[str, Any]) -> Any:
    return row["at"]


def bundle_of(rows: CaseRows, tz: Any) -> dict[str, Any]:
    """The case bundle of a case's rows (pure: every row was read by ``load_rows``)."""
    case = rows.case
    acts = rows.enforcement_acts()
    records = rows.latest_records()
    files = [r for r in rows.case_files if r["id"] not in _superseded(rows.case_files)]
    closing = max((r for r in rows.transitions if r["stage"] == "closed"), key=_at, default=None)
    closed = closing["at"] if closing else None

    def iso(moment: datetime) -> str:
        return moment.astimezone(tz).isoformat()

    details = dict(case["details"])
    if closing is not None and closing["note"] and "outcome" not in details:
        details["outcome"] = closing["note"]
    access = [*details.pop("access_requests", []), *bundle_entries(rows, tz)]
    details.pop("bundle_id", None)
    extras = {k: details.pop(k) for k in CASE_EXTRAS if k in details}
    act_ids = {a["id"] for a in acts}
    bundle: dict[str, Any] = {
        **FORMAT,
        "agency": _agency_out(case),
        "case": {
            "id": case["id"],
            "number": case["number"],
            "title": case["title"],
            "procedure": case["procedure"],
            "opened_at": iso(case["opened_at"]),
            **({"ended_at": iso(closed)} if closed else {}),
            **details,
        },
        "party": case["party"],
        **extras,
        "officers": [bundle_officer(o) for o in rows.officers],
        "devices": [
            _device_out(d, rows.device_events.get(d["id"], []), act_ids) for d in rows.devices
        ],
        "acts": [bundle_act(a, tz) for a in acts],
        "text_records": [{"id": r["id"], **r["details"]} for r in records if r["kind"] == "text"],
        "av_records": [{"id": r["id"], **r["details"]} for r in records if r["kind"] == "av"],
        "approvals": _approvals(rows, tz),
        "services": [{"id": s["id"], "mode": s["mode"], **s["evidence"]} for s in rows.services],
        "execution": [
            {"id": e["id"], "kind": e["kind"], "at": iso(e["at"]), **e["details"]}
            for e in rows.executions
        ],
    }
    if files:
        f = files[-1]
        bundle["case_file"] = {
            **({"formed_at": iso(f["formed_at"])} if f["formed_at"] else {}),
            **f["details"],
        }
    if access:
        bundle["access_requests"] = access
    upgraded: dict[str, Any] = upgrade(
        bundle, stored=True
    )  # rows stored before version 2 (bundle_migrate)
    return upgraded


def bundle_officer(o: Mapping[Any, Any]) -> dict[str, Any]:
    """An ``officers`` row in bundle form."""
    return {
        "id": o["id"],
        "name": o["name"],
        **({"certificate_number": o["certificate_no"]} if o["certificate_no"] else {}),
        **o["details"],
    }


def bundle_act(a: Mapping[Any, Any], tz: Any) -> dict[str, Any]:
    """An ``acts`` row in bundle form (times in ``tz``)."""
    return {
        "id": a["id"],
        "kind": a["kind"],
        "started_at": a["started_at"].astimezone(tz).isoformat(),
        **({"ended_at": a["ended_at"].astimezone(tz).isoformat()} if a["ended_at"] else {}),
        **({"place": a["place"]} if a["place"] else {}),
        "officer_ids": a["officer_ids"],
        **a["details"],
    }


def _device_out(d: Mapping[str, Any], events: list[Any], act_ids: set[str]) -> dict[str, Any]:
    from liuhen.services.av.devices import bundle_events

    held = bundle_events(events, act_ids)
    return {
        "id": d["id"],
        "kind": d["kind"],
        "explosion_proof": d["explosion_proof"],
        **({"serial": d["serial_no"]} if d["serial_no"] else {}),
        **({"model": d["model"]} if d["model"] else {}),
        **({"events": held} if held else {}),
    }


def _approvals(rows: CaseRows, tz: Any) -> list[dict[str, Any]]:
    """Imported approvals as they came; approvals made in LiuHen from their steps, once closed."""
    from liuhen.services.approvals.model import bundle_steps

    out = []
    for p in rows.approvals:
        details = dict(p["details"])
        if not details.pop("in_app", False):
            out.append({"id": p["id"], "kind": p["kind"], "emergency": p["emergency"], **details})
            continue
        state = rows.approval_state(p["id"])
        if not state.closed:
            continue  # still waiting: to the engine it does not exist yet
        out.append(
            {
                "id": p["id"],
                "kind": p["kind"],
                "emergency": p["emergency"],
                "outcome": state.outcome,
                "fields": state.fields,
                "steps": bundle_steps(state.steps, tz),
            }
        )
    return out


def _superseded(rows: list[Any]) -> set[str]:
    return {r["supersedes_id"] for r in rows if r["supersedes_id"]}


def case_snapshot(store: Store, case_id: str) -> Case:
    return load_bundle(assemble_bundle(store, case_id))


def case_findings(
    store: Store, case_id: str, now: datetime, calendar: WorkCalendar | None = None
) -> list[Finding]:
    """The findings of the agency's profile for one stored case at ``now``."""
    return bundle_findings(assemble_bundle(store, case_id), now, calendar or store.calendar())


def bundle_findings(
    bundle: dict[str, Any],
    now: datetime,
    calendar: WorkCalendar | None = None,
    stored: Case | None = None,
) -> list[Finding]:
    """The findings for a bundle assembled from the store (callers that have one read it
    once); its entities were checked when written, so only its references are checked.
    ``stored``: the bundle's ``stored_case``, when the caller has built it already."""
    profile = load_profile(bundle["agency"]["profile"])
    case = stored if stored is not None else stored_case(bundle)
    return evaluate(case, profile, calendar or WorkCalendar(), now)
