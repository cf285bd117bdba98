"""What one doctor check found (``Check``), and ``guarded``: a check that never raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "warn", "fail"]


@dataclass
class Check:
    """One thing checked: ``summary`` says what was found, ``fix`` what to do about it."""

    name: str
    label: str
    status: Status
    summary: str
    fix: str = ""
    details: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def guarded(name: str, label: str, check: Callable[[], Check]) -> Check:
    """``check()``, or a ``fail`` naming the unexpected error (never a traceback)."""
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 — a doctor reports, it does not crash
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Check(
            name,
            label,
            "fail",
            f"检查时出错：{type(exc).__name__}{('：' + reason) if reason else ''}",
            "请把这一行报告给系统维护人员",
        )


def existing_folder(path: Path) -> Path:
    """``path``, or its nearest ancestor that exists (what a folder not yet made lives on)."""
    where = Path(path).absolute()
    while not where.exists() and where != where.parent:
        where = where.parent
    return where
