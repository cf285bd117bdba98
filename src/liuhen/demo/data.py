"""The demo's data files, read from the installed package: no database, no services."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

_ROOT = resources.files(__package__)


def read(name: str) -> Any:
    """The parsed JSON file ``name`` (a path relative to this package, e.g. ``demo.json``)."""
    return json.loads((_ROOT / name).read_text("utf-8"))


def bundle_names(folder: str) -> list[str]:
    """The case bundles in ``folder`` (``bundles``, ``recorded``, ``samples``), in name order."""
    return sorted(
        f"{folder}/{entry.name}"
        for entry in (_ROOT / folder).iterdir()
        if entry.name.endswith(".json")
    )


def roster() -> dict[str, Any]:
    """``demo.json``: the agency, its people and devices, and the recorded case's extras."""
    found: dict[str, Any] = read("demo.json")
    return found


def demo_bundles() -> list[dict[str, Any]]:
    """The case bundles the demo imports (``bundles/``), in the order it imports them."""
    return [read(name) for name in bundle_names("bundles")]


def township() -> dict[str, str]:
    """The demo township's ``agency`` entry as its bundles write it (name, profile, unit)."""
    agency: dict[str, str] = read(roster()["recorded"]["bundle"])["agency"]
    return agency
