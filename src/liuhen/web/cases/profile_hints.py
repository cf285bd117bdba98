"""What the agency's profile says an approval of a kind must state and who must approve it,
read from the rules themselves (policy is data): the forms ask for exactly that."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from liuhen.errors import LiuhenError
from liuhen.rules.sources.profiles import load_profile


def _params(profile_id: str, procedure: str, kind: str) -> Iterator[Mapping[str, Any]]:
    if not profile_id:
        return
    try:
        rules = load_profile(profile_id).rules_for(procedure)
    except LiuhenError:
        return
    for rule in rules:
        if rule.spec.params.get("kind") == kind:
            yield rule.spec.params


def approval_fields(profile_id: str, procedure: str, kind: str) -> dict[str, str]:
    """What an approval of ``kind`` must state (code → 中文), per the profile's rules."""
    wanted: dict[str, str] = {}
    for params in _params(profile_id, procedure, kind):
        if isinstance(params.get("fields"), dict):
            wanted.update(params["fields"])
    return wanted


def approvers(profile_id: str, procedure: str, kind: str) -> list[str]:
    """In which capacities (vocab.POSITIONS) the profile wants an approval of ``kind`` approved."""
    found: list[str] = []
    for params in _params(profile_id, procedure, kind):
        for position in [*params.get("approvers", []), *params.get("authorised_approvers", [])]:
            if position not in found:
                found.append(position)
    return found
