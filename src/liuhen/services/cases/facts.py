"""What the forms of one case offer to choose from: its agency's officers, its acts and its
current documents, in bundle form. The case itself comes from the permission check's load;
each list is read (one query) only when a page asks for it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from sqlalchemy import select

from liuhen.domain import vocab
from liuhen.services.cases.bundles import bundle_act, bundle_officer
from liuhen.services.permissions import load_case
from liuhen.store import tables as t
from liuhen.store.store import Store


class CaseFacts:
    """What forms of one case offer: its officers, acts and current documents."""

    def __init__(self, store: Store, case: Mapping[str, Any]) -> None:
        self._store = store
        self._case = case
        self.id: str = case["id"]
        self.number: str = case["number"]
        self.title: str = case["title"]
        self.procedure: str = case["procedure"]
        self.profile: str = case["profile_id"] or ""
        self.party: dict[str, Any] = case["party"]
        self.agency: dict[str, Any] = {
            "name": case["agency_name"],
            **({"profile": case["profile_id"]} if case["profile_id"] else {}),
            **({"unit": case["section"]} if case["section"] else {}),
        }

    @cached_property
    def officers(self) -> list[dict[str, Any]]:
        """The agency's roster, by certificate number."""
        with self._store.read() as conn:
            rows = conn.execute(
                select(t.officers).where(t.officers.c.agency_id == self._case["agency_id"])
            ).mappings()
            roster = [bundle_officer(o) for o in rows]
        return sorted(roster, key=lambda o: (o.get("certificate_number") or "~", o["name"]))

    @cached_property
    def acts(self) -> list[dict[str, Any]]:
        """The case's enforcement acts, each with a label to choose it by."""
        tz = self._store.settings.tz
        with self._store.read() as conn:
            rows = conn.execute(
                select(t.acts)
                .where(t.acts.c.case_id == self.id, t.acts.c.kind != "filing")
                .order_by(t.acts.c.created_at, t.acts.c.id)
            ).mappings()
            shaped = [bundle_act(a, tz) for a in rows]
        return [
            {
                **a,
                "label": f"{vocab.ACT_KINDS.get(a['kind'], a['kind'])}"
                f"（{a['started_at'][:16].replace('T', ' ')}）",
            }
            for a in shaped
        ]

    @cached_property
    def documents(self) -> list[dict[str, Any]]:
        """The case's current documents (latest versions), each with a label."""
        superseded = select(t.records.c.supersedes_id).where(
            t.records.c.case_id == self.id, t.records.c.supersedes_id.is_not(None)
        )
        with self._store.read() as conn:
            rows = conn.execute(
                select(t.records.c.id, t.records.c.details)
                .where(
                    t.records.c.case_id == self.id,
                    t.records.c.kind == "text",
                    t.records.c.id.not_in(superseded),
                )
                .order_by(t.records.c.created_at, t.records.c.id)
            ).all()
        return [_document({"id": r.id, **r.details}) for r in rows]

    def officer(self, officer_id: str) -> dict[str, Any] | None:
        return next((o for o in self.officers if o["id"] == officer_id), None)

    def act(self, act_id: str) -> dict[str, Any] | None:
        return next((a for a in self.acts if a["id"] == act_id), None)


def case_facts(store: Store, case: Mapping[str, Any] | str) -> CaseFacts:
    """The facts of ``case``: the case as ``load_case`` gave it (the permission check's),
    or its id (then loaded here)."""
    return CaseFacts(store, load_case(store, case) if isinstance(case, str) else case)


def _document(r: dict[str, Any]) -> dict[str, Any]:
    return {
        **r,
        "label": (r.get("title") or vocab.DOCUMENT_KINDS.get(r["kind"], r["kind"]))
        + (f" {r['number']}" if r.get("number") else ""),
    }
