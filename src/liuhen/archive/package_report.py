"""What package verification reports, and the names of the files it looks at.

Shared by ``verify_package`` (the whole check) and ``verify_ledger`` (its ledger step,
which the 四性检测 report also uses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from liuhen.archive.package_json import JsonFault, load_json, printable

ALGORITHMS = ("sha256", "sm3")
METADATA = "data/metadata/case-bundle.json"
FILES = "data/metadata/files.json"
CASE_FILE = "data/case-file.pdf"
EVENTS = "data/ledger/events.jsonl"
PROOFS = "data/ledger/proofs.json"
CHECKPOINT = "data/ledger/checkpoint.json"
PUBLIC_KEY = "data/ledger/public-key.pem"
FOUR_PROPERTIES = "data/metadata/four-properties.json"
EXPORT_RECORD = "export-event.json"
TAG_MANIFESTS = tuple(f"tagmanifest-{alg}.txt" for alg in ALGORITHMS)
MAX_PROBLEMS = 200
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
    cosigned_by: list[str] = field(default_factory=list)
    """Witnesses given by the verifier whose cosignature of the checkpoint is valid."""

    def add(self, item: str, kind: str, message: str) -> None:
        """A problem with ``item`` (a file, a line, an event, a JSON path); fails the report."""
        self.ok = False
        item, message = printable(item), printable(message)
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
    """What the steps learned, for the later ones: each file's real digests (step 1) and the
    shipped public key (step 2)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.computed: dict[str, tuple[str, str, int]] = {}
        self.key: Ed25519PublicKey | None = None

    def sha256(self, rel: str) -> str | None:
        found = self.computed.get(rel)
        return found[0] if found else None

    def read(self, rel: str) -> bytes | None:
        """The bytes of file ``rel``; None when it is missing or not a plain file."""
        if not plain_file(self.root / rel):
            return None
        try:
            return (self.root / rel).read_bytes()
        except OSError:
            return None


def plain_file(path: Path) -> bool:
    """A regular file, not a symlink (which could point anywhere) nor a device or FIFO."""
    return not path.is_symlink() and path.is_file()


def read_json(bag: Bag, report: PackageReport, rel: str) -> Any:
    """The JSON value of file ``rel``, or None after adding the problem (missing, not UTF-8,
    not JSON, too deep, a lone surrogate) with the file and the JSON path."""
    data = bag.read(rel)
    if data is None:
        report.add(rel, "file_missing", "缺少该文件")
        return None
    try:
        return load_json(data)
    except JsonFault as fault:
        report.add(f"{rel}: {fault.path}", "json_invalid", fault.message)
        return None


def add_faults(report: PackageReport, rel: str, faults: list[tuple[str, str]]) -> None:
    """Each ``(JSON path, message)`` of file ``rel`` as a ``metadata_invalid`` problem."""
    for path, message in faults:
        report.add(f"{rel}: {path}", "metadata_invalid", f"格式不对：{message}")
