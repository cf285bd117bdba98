"""The shape of the code (docs/architecture.md): no import cycle between modules, feature
packages mirrored in services/ and web/, and modules that stay small.

The layer contracts themselves are import-linter's (pyproject.toml, test_project_hygiene).
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "liuhen"

TYPE_ONLY_PAIRS = {
    frozenset({"liuhen.rules.engine.context", "liuhen.rules.engine.registry"}),
    frozenset({"liuhen.services.av.upload_staging", "liuhen.services.av.uploads"}),
}
"""Pairs that import each other for type hints only, each inside one idea; both modules'
docstrings say so ("Import cycle (type hints only): with ``<the other>``")."""

OVERSIZE: dict[str, int] = {}
"""Modules allowed over 400 lines, with the most they may have: none any more. The list only
shrinks: a module that gets under 400 must leave it (the test says so)."""

FEATURES = ("cases", "approvals", "access", "av", "archiving", "oversight", "admin")


def _graph() -> dict[str, set[str]]:
    """Module -> the liuhen modules it imports (type-hint imports included)."""
    imports = grimp.build_graph("liuhen", cache_dir=None)
    return {
        module: {
            m for m in imports.find_modules_directly_imported_by(module) if m.startswith("liuhen")
        }
        for module in imports.modules
        if module.startswith("liuhen")
    }


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [{"a", "b", "c"}]


def _docstring(module: str) -> str:
    path = SRC.parent / (module.replace(".", "/") + ".py")
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def test_no_import_cycle_between_modules_except_the_named_type_only_pairs():
    cycles = [
        sorted(group) for group in _cycles(_graph()) if frozenset(group) not in TYPE_ONLY_PAIRS
    ]
    assert cycles == [], f"modules that import each other: {cycles}"


@pytest.mark.parametrize("pair", sorted(sorted(p) for p in TYPE_ONLY_PAIRS))
def test_each_allowed_pair_says_why_in_both_docstrings(pair):
    first, second = pair
    for module, other in ((first, second), (second, first)):
        doc = _docstring(module)
        assert f"Import cycle (type hints only): with ``{other}``" in doc, module


def test_feature_packages_mirror_each_other_in_services_and_web():
    for feature in FEATURES:
        assert (SRC / "services" / feature / "__init__.py").is_file(), feature
        assert (SRC / "web" / feature / "__init__.py").is_file(), feature
    flat_services = sorted(p.name for p in (SRC / "services").glob("*.py"))
    assert flat_services == ["__init__.py", "permissions.py"], flat_services


def test_no_route_module_imports_the_app_factory():
    importers = sorted(m for m, imported in _graph().items() if "liuhen.web.app" in imported)
    assert all(m.startswith("liuhen.cli") for m in importers), importers


def test_modules_stay_under_400_lines_or_do_not_grow():
    too_big = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("store/migrations/"):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        limit = OVERSIZE.get(rel, 400)
        if lines > limit:
            too_big[rel] = (lines, limit)
        elif rel in OVERSIZE and lines <= 400:
            too_big[rel] = (lines, "under 400 now: remove it from OVERSIZE")
    assert too_big == {}, too_big


LONG_FUNCTION_LINES = 60
"""A function whose def spans more lines than this (decorators excluded) says why in its
docstring, on a line that starts with ``Long:``."""


def _long_functions_without_a_reason() -> dict[str, int]:
    """``module::qualified.name`` -> lines, for each long function whose docstring has no
    ``Long:`` line."""
    offenders: dict[str, int] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("store/migrations/versions/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        _collect_long(tree, rel, "", offenders)
    return offenders


def _collect_long(node: ast.AST, rel: str, prefix: str, offenders: dict[str, int]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                lines = (child.end_lineno or child.lineno) - child.lineno + 1
                doc = ast.get_docstring(child) or ""
                reasoned = any(
                    line.strip().startswith("Long:") and line.strip() != "Long:"
                    for line in doc.splitlines()
                )
                if lines > LONG_FUNCTION_LINES and not reasoned:
                    offenders[f"{rel}::{name}"] = lines
            _collect_long(child, rel, f"{name}.", offenders)
        else:
            _collect_long(child, rel, prefix, offenders)


def test_long_functions_say_why_in_their_docstring():
    offenders = _long_functions_without_a_reason()
    listing = "\n".join(
        f"  {where}: {lines} lines"
        for where, lines in sorted(offenders.items(), key=lambda item: -item[1])
    )
    assert not offenders, (
        f"functions over {LONG_FUNCTION_LINES} lines without a 'Long: <reason>' line in their "
        f"docstring (split them, or say why they are one piece):\n{listing}"
    )
