"""Regenerate docs/rules.md and the shipped regulation texts.

    python scripts/gen_rules_doc.py            # write
    python scripts/gen_rules_doc.py --check    # exit 1 if anything is stale

The regulation files are read from ../shared/regulations (or /work/shared/regulations);
their article texts are kept in src/liuhen/rules/data/regulations.json, and the provisions
PROVISIONS.md §2–§8 names in data/provisions.json, so that the package never reads them at
run time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from liuhen.rules import list_profiles
from liuhen.rules.sources.docgen import (
    find_regulations_dir,
    provision_citations,
    regulations_data,
    render_rules_md,
)

ROOT = Path(__file__).resolve().parent.parent
RULES_MD = ROOT / "docs" / "rules.md"
REGULATIONS_JSON = ROOT / "src" / "liuhen" / "rules" / "data" / "regulations.json"
PROVISIONS_JSON = ROOT / "src" / "liuhen" / "rules" / "data" / "provisions.json"


def outputs() -> dict[Path, str]:
    out: dict[Path, str] = {}
    directory = find_regulations_dir(ROOT)
    if directory is not None:
        out[REGULATIONS_JSON] = (
            json.dumps(regulations_data(directory), ensure_ascii=False, indent=1) + "\n"
        )
        cited = provision_citations((directory / "PROVISIONS.md").read_text("utf-8"))
        out[PROVISIONS_JSON] = json.dumps(cited, ensure_ascii=False, indent=1) + "\n"
    out[RULES_MD] = render_rules_md(list_profiles())
    return out


def main(argv: list[str]) -> int:
    stale = [p for p, text in outputs().items() if not p.exists() or p.read_text("utf-8") != text]
    if "--check" in argv:
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)} (run python scripts/gen_rules_doc.py)")
        return 1 if stale else 0
    for p, text in outputs().items():
        p.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
