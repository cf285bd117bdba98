"""Policy profiles: YAML files of rules, one per regulation, with ``extends``.

A profile lists rules (id, type, citation, severity, Chinese message and remedy templates,
parameters). A child profile ``extends`` a parent: a rule with the same id is merged over
the parent's (keys given replace, ``params`` merge key by key), new ids are added, and
``disable`` drops parent rules. Loading validates everything (``profile_checks``) and reports
*every* problem with its file and line in one ``ProfileInvalid``; the result is the engine's
plain ``Profile``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from liuhen.errors import ProfileInvalid
from liuhen.rules.engine.profile import Profile
from liuhen.rules.engine.registry import RuleSpec, build_rule
from liuhen.rules.sources import articles
from liuhen.rules.sources.profile_checks import (
    MergedRule,
    ProfileFile,
    check_rule,
    merge_rules,
    read_profile_file,
)
from liuhen.rules.sources.score_sheet import (
    MergedSheet,
    build_sheet,
    merge_sheets,
    sheet_problems,
)


def shipped_dir() -> Path:
    return Path(str(resources.files("liuhen.rules").joinpath("profiles")))


def _resolve(name: str, relative_to: Path | None) -> Path:
    if name.endswith((".yaml", ".yml")) or "/" in name:
        p = Path(name)
        if not p.is_absolute() and relative_to is not None and not p.exists():
            p = relative_to.parent / p
        return p
    return shipped_dir() / f"{name}.yaml"


_CACHE: dict[tuple[str, float], Profile] = {}
_RECENT: dict[str, tuple[float, Profile]] = {}
RECHECK = 1.0
"""Seconds a shipped profile asked for by id is handed out again without looking at its
file (every page of a case asks for its agency's profile); a profile given by path is
looked at every time."""


def load_profile(id_or_path: str | Path) -> Profile:
    """Load a shipped profile by id (``shanxi-forestry``) or any profile file by path."""
    name = str(id_or_path)
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return _load_checked(name)
    recent = _RECENT.get(name)
    if recent is not None and time.monotonic() - recent[0] < RECHECK:
        return recent[1]
    profile = _load_checked(name)
    _RECENT[name] = (time.monotonic(), profile)
    return profile


def _load_checked(id_or_path: str) -> Profile:
    """The profile, parsed again only when its file's path or modification time changed."""
    path = _resolve(id_or_path, None)
    if not path.exists():
        known = ", ".join(p.stem for p in sorted(shipped_dir().glob("*.yaml")))
        raise ProfileInvalid(f"未知的制度配置 {id_or_path!s}（可用：{known}）")
    key = (str(path.resolve()), path.stat().st_mtime)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _CACHE[key] = _load(path)
    return cached


@dataclass
class Assembled:
    """A profile file with its ``extends`` chain (the file first), its rules after merging,
    the specs of the sound ones, and every problem found (``lint`` adds its own)."""

    chain: list[ProfileFile]
    merged: dict[str, MergedRule]
    specs: list[RuleSpec]
    problems: list[str]
    sheet: MergedSheet | None = None


def assemble(path: Path) -> Assembled:
    """Read ``path`` and its parents, merge their rules and check each one; never raises
    for what the files hold (``ProfileInvalid`` only when a file cannot be read)."""
    chain: list[ProfileFile] = []
    seen: set[Path] = set()
    problems: list[str] = []
    current: Path | None = path
    while current is not None:
        resolved = current.resolve()
        if resolved in seen:
            problems.append(f"{current}:1: extends 形成循环")
            break
        seen.add(resolved)
        raw = read_profile_file(current)
        chain.append(raw)
        parent = raw.data.get("extends")
        current = None
        if isinstance(parent, str):
            candidate = _resolve(parent, raw.path)
            if not candidate.exists():
                raw.problems.append(
                    f"{raw.smap.where(('extends',))}: extends: 找不到上级配置 {parent!r}"
                )
            else:
                current = candidate
    merged: dict[str, MergedRule] = {}
    for raw in reversed(chain):
        merged = merge_rules(merged, raw)
    sheet = merge_sheets(chain)
    for raw in chain:
        problems.extend(raw.problems)
    if sheet is not None:
        problems.extend(sheet_problems(sheet))
    specs: list[RuleSpec] = []
    for m in merged.values():
        spec, rule_problems = check_rule(m)
        problems.extend(rule_problems)
        if spec is not None:
            specs.append(spec)
    return Assembled(chain, merged, specs, problems, sheet)


def _load(path: Path) -> Profile:
    found = assemble(path)
    chain, specs, problems = found.chain, found.specs, found.problems
    top = chain[0]
    if problems:
        raise ProfileInvalid(f"制度配置 {path} 有 {len(problems)} 处错误", details=problems)
    rules = tuple(build_rule(s) for s in specs)
    data: Mapping[str, Any] = top.data
    return Profile(
        id=data["id"],
        name=data["name"],
        rules=rules,
        agency=data.get("agency", ""),
        source=data.get("source", ""),
        description=data.get("description", ""),
        abstract=bool(data.get("abstract", False)),
        timezone=data.get("timezone", "Asia/Shanghai"),
        chain=tuple(r.data.get("id", r.path.stem) for r in chain),
        path=str(path),
        quotes={r.citation: articles.quote(r.citation) for r in rules},
        score_sheet=build_sheet(found.sheet),
        _by_id={r.id: r for r in rules},
    )


def list_profiles() -> list[Profile]:
    """Every profile shipped in the package, base first."""
    paths = sorted(shipped_dir().glob("*.yaml"), key=lambda p: (p.stem != "base", p.stem))
    return [load_profile(p) for p in paths]
