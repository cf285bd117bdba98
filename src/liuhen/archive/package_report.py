"""What package verification reports, and the names of the files it looks at.

Shared by ``verify_package`` (the whole check) and ``verify_ledger`` (its ledger step,
which the 四性检测 report also uses).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ALGORITHMS = ("sha256", "sm3")
METADATA = "data/metadata/case-bundle.json"
FILES = "data/metadata/files.json"
CASE_FILE = "data/case-file.pdf"
EVENTS = "data/ledger/events.jsonl"
PROOFS = "data/ledger/proofs.json"
CHECKPOINT = "data/ledger/checkpoint.json"
PUBLIC_KEY = "data/ledger/public-key.pem"
MAX_PROBLEMS = 200
HEX64 = re.compile(r"[0-9a-f]{64}")
ByteProgress = Callable[[int, int], None]


@dataclass
class Problem:
    item: str
    kind: str
    message: str


@dataclass
class PackageReport:
    path: str
    ok: bool = True
    case: dict[str, str] = field(default_factory=dict)
    key_fingerprint: str = ""
    checkpoint: dict[str, Any] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    events: int = 0
    proofs_verified: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    four_properties: dict[str, Any] = field(default_factory=dict)

    def add(self, item: str, kind: str, message: str) -> None:
        self.ok = False
        if len(self.problems) < MAX_PROBLEMS and not any(
            p.item == item and p.kind == kind for p in self.problems
        ):
            self.problems.append(Problem(item, kind, message))

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["first_problem"] = asdict(self.first_problem) if self.first_problem else None
        return out


class Bag:
    """What step 1 learned, for the later steps: manifests and each file's real digests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.computed: dict[str, tuple[str, str, int]] = {}

    def sha256(self, rel: str) -> str | None:
        found = self.computed.get(rel)
        return found[0] if found else None

    def read(self, rel: str) -> bytes | None:
        try:
            return (self.root / rel).read_bytes()
        except OSError:
            return None


def read_json(bag: Bag, report: PackageReport, rel: str) -> Any:
    data = bag.read(rel)
    if data is None:
        report.add(rel, "file_missing", "缺少该文件")
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        report.add(rel, "json_invalid", f"不是有效的 JSON：{exc}")
        return None
