"""``liuhen profiles diff A B``: rule by rule, where two agencies' regulations differ.

Both profiles are loaded as the engine runs them (``extends`` resolved), so the comparison is
of what each agency's cases are actually checked against: a rule only one of them has, and
for a rule both have, each field that differs — type, citation, severity, procedures, the
message and remedy, and every parameter by its dotted path (``params.limit``,
``params.acts[2].kind``). The regulations' own article texts are quoted for citations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from liuhen.rules.engine.profile import Profile
from liuhen.rules.engine.registry import RuleSpec
from liuhen.rules.sources import articles

FIELDS = (
    "type", "citation", "also_cites", "severity", "procedures", "blocks", "message", "remedy",
)  # fmt: skip


@dataclass
class RuleDiff:
    rule: str
    title: str
    status: str  # only_a | only_b | differs | cited (only the articles cited differ)
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)
    citation_a: str = ""
    citation_b: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "status": self.status,
            "citation_a": self.citation_a,
            "citation_b": self.citation_b,
            "changes": [{"field": f, "a": a, "b": b} for f, a, b in self.changes],
        }


@dataclass
class ProfileDiff:
    a: Profile
    b: Profile
    rules: list[RuleDiff]
    same: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": {"id": self.a.id, "name": self.a.name, "source": self.a.source},
            "b": {"id": self.b.id, "name": self.b.name, "source": self.b.source},
            "differences": [r.to_dict() for r in self.rules],
            "same": self.same,
        }


def diff_profiles(a: Profile, b: Profile) -> ProfileDiff:
    """Every rule of ``a`` and ``b`` compared, in ``a``'s order then ``b``'s new ones."""
    specs_a = {r.spec.id: r.spec for r in a.rules}
    specs_b = {r.spec.id: r.spec for r in b.rules}
    order = list(specs_a) + [rid for rid in specs_b if rid not in specs_a]
    out: list[RuleDiff] = []
    same: list[str] = []
    for rid in order:
        sa, sb = specs_a.get(rid), specs_b.get(rid)
        if sa is None or sb is None:
            spec = sa or sb
            assert spec is not None
            status = "only_a" if sb is None else "only_b"
            out.append(
                RuleDiff(rid, spec.title, status, citation_a=_cite(sa), citation_b=_cite(sb))
            )
            continue
        changes = _changes(sa, sb)
        if changes:
            status = "cited" if all(_is_citation(name) for name, _, _ in changes) else "differs"
            out.append(RuleDiff(rid, sa.title, status, changes, _cite(sa), _cite(sb)))
        else:
            same.append(rid)
    return ProfileDiff(a, b, out, same)


def _is_citation(name: str) -> bool:
    """A field that only names an article: two regulations that say the same thing in
    differently numbered articles differ only here."""
    leaf = name.rsplit(".", 1)[-1]
    return leaf in ("citation", "also_cites") or leaf.endswith("_citation")


def _cite(spec: RuleSpec | None) -> str:
    if spec is None:
        return ""
    text = articles.quote(spec.citation) or ""
    return f"{spec.citation} {text}".strip()


def _changes(a: RuleSpec, b: RuleSpec) -> list[tuple[str, Any, Any]]:
    out = []
    for name in FIELDS:
        va, vb = _plain(getattr(a, name)), _plain(getattr(b, name))
        if va != vb:
            out.append((name, va, vb))
    flat_a, flat_b = _flatten(a.params, "params"), _flatten(b.params, "params")
    for key in sorted(set(flat_a) | set(flat_b)):
        if flat_a.get(key) != flat_b.get(key):
            out.append((key, flat_a.get(key), flat_b.get(key)))
    return out


IDENTITY_KEYS = ("kind", "flag", "name", "document", "mode", "position", "role")
"""Keys that name an item of a parameter list (``acts: [{kind: seal_up, …}]``): items are
compared by it, so an inserted item does not make every later one look changed."""


def _identity(items: Any) -> str | None:
    for key in IDENTITY_KEYS:
        values = [v.get(key) if isinstance(v, Mapping) else None for v in items]
        if all(isinstance(v, str) for v in values) and len(set(values)) == len(values):
            return key
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    """``{"params.limit": "24h", "params.acts[0].kind": "seal_up", …}``; a list of scalars
    stays whole (``params.kinds``), since its order rarely matters to a reader."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}"))
        return out or {prefix: {}}
    if isinstance(value, list | tuple) and any(isinstance(v, Mapping | list) for v in value):
        out = {}
        key = _identity(value)
        for i, v in enumerate(value):
            item = {k: x for k, x in v.items() if k != key} if key else v
            out.update(_flatten(item, f"{prefix}[{v[key] if key else i}]"))
        return out
    return {prefix: _plain(value)}
