"""``liuhen profiles lint FILE``: an agency's own profile checked before it is used.

Everything loading checks (the schema, a known rule type, citations that exist, template
variables, parameters against the type's schema and ranges) plus what an author gets wrong
and loading lets through:

- a citation from another agency's regulation: a rule may cite the profile's own regulation
  (its ``source``, or the nearest parent's) or national law, nothing else — a finding must
  never tell an officer of 张营镇 that the Shanxi forestry bureau's article binds them;
- a profile that is not ``abstract`` but names no ``source`` regulation;
- a rule that can never apply (``procedures: []``), or a parent's rule disabled and then
  defined again in the same file (the disable is dead);
- a rule that overrides its parent's and changes nothing.

Each problem names its file, line and YAML path (``rules[3].citation``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from liuhen.rules.engine.registry import build_rule
from liuhen.rules.sources import articles
from liuhen.rules.sources.profile_checks import MergedRule, ProfileFile, check_rule, locate
from liuhen.rules.sources.profiles import Assembled, assemble
from liuhen.rules.sources.score_sheet import rule_problems, sheet_citations

_REGULATION = re.compile(r"^(\d{3})_")


@dataclass
class LintReport:
    path: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {"file": self.path, "ok": self.ok, "problems": self.problems}


def lint_profile(path: Path) -> LintReport:
    """Every problem of the profile file ``path`` (and of the parents it extends)."""
    found = assemble(path)
    report = LintReport(str(path), list(found.problems))
    top = found.chain[0]
    own = _own_regulation(found.chain)
    if own is None and not top.data.get("abstract") and top.data:
        report.problems.append(
            f"{top.smap.where(('source',))}: source: 没有写明本配置依据的制度文件"
            "（如 003_c099024a1de7f10b.txt），规则只能引用它和国家法律"
        )
    for rule in found.merged.values():
        report.problems.extend(_foreign_citations(rule, own))
        report.problems.extend(_unreachable(rule, top))
    report.problems.extend(_idle_overrides(found))
    report.problems.extend(_sheet_problems(found, own))
    return report


def _sheet_problems(found: Assembled, own: str | None) -> list[str]:
    """The 评查表's lines: the rules they name exist, and they cite their own regulation or
    national law (``score_sheet`` problems loading refuses are already in ``found``)."""
    if found.sheet is None:
        return []
    problems = rule_problems(found.sheet, set(found.merged))
    for where, citation in sheet_citations(found.sheet):
        match = articles.CITATION.match(citation)
        if match is None or match.group("source") in articles.statutes():
            continue
        if match.group("source") != own:
            title = articles.source_title(citation) or match.group("source")
            problems.append(
                f"{where}: 引用 {citation} 出自《{title}》，既不是本配置的制度，也不是国家法律"
            )
    return problems


def _own_regulation(chain: list[ProfileFile]) -> str | None:
    """The number (``003``) of the regulation the profile, or its nearest parent, follows."""
    for raw in chain:
        match = _REGULATION.match(str(raw.data.get("source", "")))
        if match:
            return match.group(1)
    return None


def _citations(rule: MergedRule) -> list[tuple[tuple[str | int, ...], str]]:
    spec = rule.spec
    out: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(spec.get("citation"), str):
        out.append((("citation",), spec["citation"]))
    for i, c in enumerate(spec.get("also_cites") or []):
        out.append((("also_cites", i), str(c)))
    return out


def _foreign_citations(rule: MergedRule, own: str | None) -> list[str]:
    found = _citations(rule)
    try:
        spec, _ = check_rule(rule)
        if spec is not None:
            found += [(("params",), c) for c in build_rule(spec).param_citations()]
    except (ValueError, KeyError, TypeError):
        pass  # loading reports what is wrong with the rule itself
    problems = []
    seen: set[str] = set()  # each foreign citation once a rule, where it first appears
    for where, citation in found:
        match = articles.CITATION.match(citation)
        if match is None or citation in seen:
            continue
        seen.add(citation)
        source = match.group("source")
        if source in articles.statutes() or source == own:
            continue
        title = articles.source_title(citation) or source
        mine = f"本配置的制度（{own}）" if own else "本配置（没有写明制度文件）"
        problems.append(
            f"{locate(rule, where)}: 引用 {citation} 出自《{title}》，"
            f"既不是{mine}，也不是国家法律：发现的问题不能据此要求本机关"
        )
    return problems


def _unreachable(rule: MergedRule, top: ProfileFile) -> list[str]:
    problems = []
    if rule.spec.get("procedures") == []:
        problems.append(f"{locate(rule, ('procedures',))}: procedures 为空：这条规则永远不会适用")
    disabled = [str(d) for d in top.data.get("disable", [])]
    if rule.spec.get("id") in disabled and rule.origin[()][0].startswith(f"{top.path}:"):
        index = disabled.index(rule.spec["id"])
        problems.append(
            f"{top.smap.where(('disable', index))}: disable[{index}]: 规则 {rule.spec['id']} "
            "先停用又在本文件中重新定义：停用无效，删去其中之一"
        )
    return problems


def _idle_overrides(found: Assembled) -> list[str]:
    """Rules of the file itself that repeat their parent's rule exactly."""
    if len(found.chain) < 2:
        return []
    top, parent_path = found.chain[0], found.chain[1].path
    parent = assemble(parent_path).merged
    problems = []
    for i, rule in enumerate(top.data.get("rules", [])):
        if not isinstance(rule, dict) or rule.get("id") not in parent:
            continue
        before = parent[rule["id"]].spec
        changed = {k for k, v in rule.items() if k != "id" and k != "params" and before.get(k) != v}
        params = rule.get("params") or {}
        changed |= {k for k, v in params.items() if (before.get("params") or {}).get(k) != v}
        if not changed:
            problems.append(
                f"{top.smap.where(('rules', i))}: rules[{i}]（规则 {rule['id']}）: "
                "与上级配置中的同名规则完全相同，可以删去"
            )
    return problems
