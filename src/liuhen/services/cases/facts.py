"""What the forms of one case offer to choose from: its agency's officers, its acts and its
current documents, in bundle form. The case itself comes from the permission check's load;
each list is read (one query) only when a page asks for it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from liuhen.domain import vocab
from liuhen.services.cases.bundles import bundle_act, bundle_officer
from liuhen.services.cases.queries.facts import agency_officers, current_documents, enforcement_acts
from liuhen.services.permissions import load_case
from liuhen.store.store import Store


class CaseFacts:
    """What forms of one case offer: its officers, acts and current documents."""

    def __init__(self, store: Store, case: Mapping[str, Any]) -> None:
        self._store = store
        self._case = case
        self.id: str = case["id"]
        self.agency_id: str = case["agency_id"]
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
        roster = [bundle_officer(o) for o in agency_officers(self._store, self._case["agency_id"])]
        return sorted(roster, key=lambda o: (o.get("certificate_number") or "~", o["name"]))

    @cached_property
    def acts(self) -> list[dict[str, Any]]:
        """The case's enforcement acts, each with a label to choose it by."""
        tz = self._store.settings.tz
        shaped = [bundle_act(a, tz) for a in enforcement_acts(self._store, self.id)]
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
        return [_document(r) for r in current_documents(self._store, self.id)]

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
