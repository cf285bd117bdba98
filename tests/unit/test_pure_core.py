"""The pure core stays pure when it runs, not only in import-linter's graph.

import-linter reads import statements; it cannot see that importing ``liuhen.rules.engine``
first runs ``liuhen/rules/__init__.py``. A fresh interpreter imports the core and must not
have loaded any library the contract in pyproject.toml forbids.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "pure core imports no framework, ORM, YAML or HTTP library"


def _contract() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    [found] = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == CONTRACT]
    return found


def test_importing_the_pure_core_loads_no_forbidden_library():
    contract = _contract()
    core = [
        *contract["source_modules"],
        "liuhen.rules.engine.calendar",
        "liuhen.rules.engine.periods",
        "liuhen.rules.engine.profile",
        "liuhen.ledger.checkpoint",
        "liuhen.ledger.events",
        "liuhen.ledger.merkle",
    ]
    script = (
        "import importlib, json, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)
    forbidden = tuple(contract["forbidden_modules"])
    assert [
        m for m in loaded if m in forbidden or m.startswith(tuple(f + "." for f in forbidden))
    ] == []


def test_the_public_rules_api_still_resolves():
    from liuhen import rules
    from liuhen.rules.engine import evaluate
    from liuhen.rules.sources.profiles import load_profile

    assert rules.evaluate is evaluate and rules.load_profile is load_profile
    assert sorted(rules.__all__) == sorted(rules._EXPORTS)
