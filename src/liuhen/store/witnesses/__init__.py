"""The witnesses a store sends its signed checkpoints to, and what it keeps of their answers.

Three kinds (``WitnessSpec.kind``):

- ``dir``: a directory (another agency's share, a mounted disk): each checkpoint is appended
  to ``<dir>/checkpoints.jsonl`` as a signed note (``LIUHEN_WITNESS_DIR`` is one of these);
- ``s3``: a bucket (``s3://bucket/prefix``): one object per checkpoint, under object lock
  when the bucket has it, so not even the sender can delete or overwrite it;
- ``http``: another LiuHen running ``liuhen witness serve``: it cosigns a checkpoint only
  after a consistency proof from the last one it cosigned (C2SP tlog-witness); its
  cosignatures are kept in ``<data dir>/witnesses/<name>.jsonl``.

The registry is ``<data dir>/witnesses/registry.json``; each registration is also a ledger
event (``witness.added``), so ``liuhen verify`` notices a registration that disappeared.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REGISTRY = "registry.json"
KINDS = ("dir", "s3", "http")


class S3WitnessError(Exception):
    """A bucket witness could not be reached or read (defined here, not in
    ``witnesses.s3``, so that catching it does not import boto3)."""


@dataclass(frozen=True)
class WitnessSpec:
    name: str
    kind: str
    target: str
    """The directory, ``s3://bucket/prefix`` or base URL."""
    vkey: str | None = None
    """The HTTP witness's cosigning key (``<name>+<id>+<key>``)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WitnessSpec:
        return cls(str(d["name"]), str(d["kind"]), str(d["target"]), d.get("vkey"))

    @property
    def file_name(self) -> str:
        return re.sub(r"[^A-Za-z0-9._-]", "_", self.name)[:80]


def kind_of(target: str) -> str:
    if target.startswith("s3://"):
        return "s3"
    if target.startswith(("http://", "https://")):
        return "http"
    return "dir"


def read_registry(folder: Path) -> list[WitnessSpec]:
    """The registered witnesses; a missing file is none; a damaged one raises ValueError."""
    try:
        data = json.loads((folder / REGISTRY).read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{folder / REGISTRY}: {exc}") from exc
    if not isinstance(data, list):
        raise ValueError(f"{folder / REGISTRY}: not a list")
    return [WitnessSpec.from_dict(d) for d in data]


def write_registry(folder: Path, specs: list[WitnessSpec]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = json.dumps([s.to_dict() for s in specs], ensure_ascii=False, indent=1)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".registry.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / REGISTRY)
