"""What the forms of one case offer to choose from: its agency's officers, its acts and its
current documents, in bundle form, read in three queries (the case itself comes from the
permission check's load)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from liuhen.domain import vocab
from liuhen.services.cases.bundles import bundle_act, bundle_officer
from liuhen.services.permissions import load_case
from liuhen.store import tables as t
from liuhen.store.store import Store


@dataclass(frozen=True)
class CaseFacts:
    """What forms of one case offer: its officers, acts and current documents."""

    id: str
    number: str
    title: str
    procedure: str
    profile: str
    party: dict[str, Any]
    agency: dict[str, Any]
    officers: list[dict[str, Any]]
    acts: list[dict[str, Any]]
    documents: list[dict[str, Any]]

    def officer(self, officer_id: str) -> dict[str, Any] | None:
        return next((o for o in self.officers if o["id"] == officer_id), None)

    def act(self, act_id: str) -> dict[str, Any] | None:
        return next((a for a in self.acts if a["id"] == act_id), None)


def case_facts(store: Store, case: Mapping[str, Any] | str) -> CaseFacts:
    """The facts of ``case``: the case as ``load_case`` gave it (the permission check's),
    or its id (then loaded here). Officers are the agency's roster, by certificate."""
    loaded = load_case(store, case) if isinstance(case, str) else case
    tz = store.settings.tz
    superseded = select(t.records.c.supersedes_id).where(
        t.records.c.case_id == loaded["id"], t.records.c.supersedes_id.is_not(None)
    )
    with store.read() as conn:
        officers = conn.execute(
            select(t.officers).where(t.officers.c.agency_id == loaded["agency_id"])
        ).mappings()
        roster = sorted(
            (bundle_officer(o) for o in officers),
            key=lambda o: (o.get("certificate_number") or "~", o["name"]),
        )
        acts = conn.execute(
            select(t.acts)
            .where(t.acts.c.case_id == loaded["id"], t.acts.c.kind != "filing")
            .order_by(t.acts.c.created_at, t.acts.c.id)
        ).mappings()
        shaped_acts = [bundle_act(a, tz) for a in acts]
        texts = conn.execute(
            select(t.records.c.id, t.records.c.details)
            .where(
                t.records.c.case_id == loaded["id"],
                t.records.c.kind == "text",
                t.records.c.id.not_in(superseded),
            )
            .order_by(t.records.c.created_at, t.records.c.id)
        ).all()
    return CaseFacts(
        id=loaded["id"],
        number=loaded["number"],
        title=loaded["title"],
        procedure=loaded["procedure"],
        profile=loaded["profile_id"] or "",
        party=loaded["party"],
        agency={
            "name": loaded["agency_name"],
            **({"profile": loaded["profile_id"]} if loaded["profile_id"] else {}),
            **({"unit": loaded["section"]} if loaded["section"] else {}),
        },
        officers=roster,
        acts=[
            {
                **a,
                "label": f"{vocab.ACT_KINDS.get(a['kind'], a['kind'])}"
                f"（{a['started_at'][:16].replace('T', ' ')}）",
            }
            for a in shaped_acts
        ],
        documents=[_document({"id": r.id, **r.details}) for r in texts],
    )


def _document(r: dict[str, Any]) -> dict[str, Any]:
    return {
        **r,
        "label": (r.get("title") or vocab.DOCUMENT_KINDS.get(r["kind"], r["kind"]))
        + (f" {r['number']}" if r.get("number") else ""),
    }
