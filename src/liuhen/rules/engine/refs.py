"""References to moments in a case, as profile parameters write them: ``kind:code|code``.

``document:penalty_decision``, ``approval:legal_review``, ``act:inquiry|survey``,
``execution:court_application``, ``service:penalty_decision`` (when a document of that kind
was served), ``case:opened``, ``case:ended``, ``case_file:formed``.
"""

from __future__ import annotations

from typing import Any

from liuhen.domain import vocab
from liuhen.rules.engine.registry import Problem

REF_SCHEMA: dict[str, Any] = {"type": "string", "pattern": r"^[a-z_]+:[a-z_|]+$"}

_CODES: dict[str, dict[str, str]] = {
    "document": vocab.DOCUMENT_KINDS,
    "service": vocab.DOCUMENT_KINDS,
    "approval": vocab.APPROVAL_KINDS,
    "act": vocab.ACT_KINDS,
    "execution": vocab.EXECUTION_KINDS,
    "case": {"opened": "立案（案件开始）", "ended": "执法行为终结"},
    "case_file": {"formed": "案卷形成"},
}


def check_ref(ref: str, path: tuple[str | int, ...]) -> list[Problem]:
    kind, _, codes = ref.partition(":")
    table = _CODES.get(kind)
    if table is None:
        return [(path, f"未知的引用种类 {kind!r}（可用：{', '.join(_CODES)}）")]
    return [(path, f"未知的代码 {c!r}（{kind}）") for c in codes.split("|") if c not in table]


def describe(ref: str) -> str:
    """Chinese name of a reference, for messages and docs."""
    kind, _, codes = ref.partition(":")
    names = "或".join(_CODES.get(kind, {}).get(c, c) for c in codes.split("|"))
    return f"{names}送达" if kind == "service" else names
