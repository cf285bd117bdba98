"""What ``liuhen verify`` reports: problems (each naming one object), notes, and counts."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

Progress = Callable[[str, int, int], None]
"""Told ``(stage, done, total)`` as a long check goes (``ledger``: events, ``blobs``: bytes)."""

MAX_PER_KIND = 50
"""Problems of one kind listed in full; the rest are counted (``problems_total``)."""


@dataclass
class Problem:
    """One finding: its ``kind`` (a stable code), the ``object`` it names (``table/key``,
    ``table/key.column``, ``ledger_events#seq``, ``checkpoints@size``, ``blob <sha256>``, a
    file path or ``path:line``), a message in Chinese, and ``related`` objects (the records
    that hold a damaged blob, the events a rolled-back checkpoint covered)."""

    kind: str
    object: str
    message: str
    related: list[str] = field(default_factory=list)


@dataclass
class VerifyReport:
    ok: bool = True
    checked_at: str = ""
    events: int = 0
    checkpoints: int = 0
    rows: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    summaries: int = 0
    since: int | None = None
    """A run continued from the last (``--since-last``): the events that one checked, which
    this one did not read again; None: every event was read."""
    tree_root: str | None = None
    """The root of the tree of the ``events`` checked, and the chain hash of the last of
    them (hex; None when nothing was found to hold): recorded, a later run continues here."""
    chain_hash: str | None = None
    key_fingerprint: str | None = None
    pinned: list[str] = field(default_factory=list)
    """Where the key's fingerprint was compared from (setting, --fingerprint, event #0)."""
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0
    notes: list[str] = field(default_factory=list)
    disposed: list[dict[str, Any]] = field(default_factory=list)
    """Tombstones of approved disposals: what was disposed of, when, why, by which approval."""
    case_numbers: dict[str, str] = field(default_factory=dict, repr=False)
    """The number of the case a listed problem's row belongs to (for people; not in JSON)."""
    _kinds: Counter[str] = field(default_factory=Counter, repr=False)

    def add(self, kind: str, obj: str, message: str, related: list[str] | None = None) -> None:
        self.ok = False
        self.problems_total += 1
        self._kinds[kind] += 1
        if self._kinds[kind] <= MAX_PER_KIND:
            self.problems.append(Problem(kind, obj, message, list(related or ())))

    def names(self, obj: str) -> bool:
        """Whether a listed problem names ``obj``: itself, one of its columns or (a file) one
        of its lines, a range of
        events that holds it (``ledger_events#3–#9`` names ``ledger_events#5``), or as a
        related object."""
        return any(_covers(o, obj) for p in self.problems for o in (p.object, *p.related))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("_kinds", None)
        out.pop("case_numbers", None)
        return out


_SPAN = re.compile(r"ledger_events#(-?\d+)(?:–#(-?\d+))?")


def _covers(named: str, obj: str) -> bool:
    if named == obj or named.startswith((obj + ".", obj + ":")):
        return True
    span, one = _SPAN.fullmatch(named.split(".")[0]), _SPAN.fullmatch(obj)
    if span is None or one is None or one.group(2) is not None:
        return False
    first = int(span.group(1))
    last = int(span.group(2)) if span.group(2) is not None else first
    return first <= int(one.group(1)) <= last


def ranges(numbers: Iterable[int], limit: int = 6) -> tuple[int, str]:
    """How many ``numbers`` (in increasing order) and, for ``[1, 2, 3, 7, 9, 10]``,
    ``1–3、7、9–10`` (at most ``limit`` runs, then "…"); only those runs are held."""
    runs: list[list[int]] = []
    count, more = 0, False
    for n in numbers:
        count += 1
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        elif len(runs) < limit:
            runs.append([n, n])
        else:
            more = True  # in order, so no later number joins a kept run
    text = "、".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)
    return count, text + ("…" if more else "")
