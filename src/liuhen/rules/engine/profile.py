"""A policy profile as the engine runs it: ready-to-run rule objects and their settings.

``rules.sources.profiles`` builds one from YAML files (``extends``, validation with file and
line); here it is plain data, so the engine never reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from liuhen.rules.engine.registry import Rule
from liuhen.rules.scoring import ScoreSheet


@dataclass(frozen=True)
class Profile:
    """A loaded, validated profile: its rules are ready-to-run rule objects.

    ``quotes`` holds the article text of each rule's citation (None when unknown), for
    ``to_dict``; the loader fills it from the shipped article texts.
    """

    id: str
    name: str
    rules: tuple[Rule, ...]
    agency: str = ""
    source: str = ""
    description: str = ""
    abstract: bool = False
    timezone: str = "Asia/Shanghai"
    chain: tuple[str, ...] = ()
    path: str = ""
    quotes: Mapping[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    score_sheet: ScoreSheet | None = field(default=None, compare=False, repr=False)
    """The 案卷评查表 (``rules/scoring.py``), when the profile or a parent has one."""
    _by_id: dict[str, Rule] = field(default_factory=dict, compare=False, repr=False)
    _by_procedure: dict[str, tuple[Rule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def rules_for(self, procedure: str) -> tuple[Rule, ...]:
        """The rules that apply to cases of ``procedure`` (computed once per procedure)."""
        cached = self._by_procedure.get(procedure)
        if cached is None:
            cached = self._by_procedure[procedure] = tuple(
                r for r in self.rules if r.applies_to(procedure)
            )
        return cached

    def rule(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of ``liuhen profiles --json``."""
        return {
            "id": self.id,
            "name": self.name,
            "agency": self.agency,
            "source": self.source,
            "abstract": self.abstract,
            "extends": list(self.chain[1:]),
            "rules": [
                {
                    "id": r.id,
                    "type": r.spec.type,
                    "title": r.spec.title,
                    "citation": r.citation,
                    "citations": list(r.citations()),
                    "severity": r.severity,
                    "procedures": sorted(r.spec.procedures) if r.spec.procedures else None,
                    "message": r.spec.message,
                    "remedy": r.spec.remedy,
                    "params": dict(r.spec.params),
                    "blocks": sorted(r.blocks),
                    "quote": self.quotes.get(r.citation),
                }
                for r in self.rules
            ],
        }
