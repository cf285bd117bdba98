"""``liuhen doctor``: is this machine ready to run LiuHen, and if not, what fixes it.

Each check looks at one thing a township's installation can lack or lose — Chinese fonts,
the native libraries behind PDF rendering, a rendered PDF with its Chinese font embedded,
the media library, the database and its schema version, the blob store, the signing key
and the fingerprints pinned for it, the holiday calendar's years, free disk — and answers
``ok``, ``warn`` (works, but will bite) or ``fail`` (something will not work), with the
command or step that fixes it. A check never raises: whatever goes wrong inside it is its
own ``fail``. The machine checks are in ``machine.py``, the configured store's in
``stored.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Literal

from liuhen.config import Settings

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


def run_doctor(settings: Settings, *, render_pdf: bool = True) -> list[Check]:
    """Every check, machine first, then the configured store."""
    from liuhen.services.admin.doctor import machine, stored

    return [*machine.checks(settings, render_pdf=render_pdf), *stored.checks(settings)]


def pdf_stack_problems() -> list[Check]:
    """The fast checks ``serve`` runs before it starts: fonts and native libraries (no
    rendering, which would cost seconds at every start)."""
    from liuhen.services.admin.doctor import machine

    return [c for c in (machine.fonts_check(), machine.native_check()) if c.status == "fail"]


@lru_cache(maxsize=1)
def pdf_warning() -> str | None:
    """What every page says when this machine cannot make PDFs (``serve --without-pdf``
    started anyway), from ``pdf_stack_problems``; None when it can. Once per process."""
    problems = pdf_stack_problems()
    if not problems:
        return None
    found = "；".join(p.summary for p in problems)
    return f"本机无法正确生成文书和案卷 PDF：{found}。请系统管理员运行 liuhen doctor 并按提示修复。"
