"""Write constraints.txt: the installed versions of liuhen[test]'s whole dependency closure.

Run after changing dependencies in pyproject.toml and reinstalling:
    python -m pip install -e ".[test]" && python scripts/pin_constraints.py
"""

from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

from packaging.requirements import Requirement


def closure(name: str, extras: tuple[str, ...] = ()) -> dict[str, str]:
    seen: dict[str, str] = {}

    def walk(dist_name: str, wanted: tuple[str, ...]) -> None:
        key = re.sub(r"[-_.]+", "-", dist_name).lower()
        try:
            dist = md.distribution(dist_name)
        except md.PackageNotFoundError:
            return
        if key in seen and not wanted:
            return
        seen[key] = dist.version
        for raw in dist.requires or []:
            req = Requirement(raw)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (wanted or ("",))):
                continue
            walk(req.name, tuple(req.extras))

    walk(name, extras)
    seen.pop(name, None)
    return seen


def main() -> None:
    pins = closure("liuhen", ("test",))
    header = (
        "# Pinned versions that CI and the README install with (pip install -c constraints.txt).\n"
        "# Regenerate with scripts/pin_constraints.py after changing dependencies.\n"
    )
    body = "\n".join(sorted(f"{k}=={v}" for k, v in pins.items()))
    Path("constraints.txt").write_text(header + body + "\n", encoding="utf-8")
    print(f"constraints.txt: {len(pins)} packages")


if __name__ == "__main__":
    main()
