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

from functools import lru_cache

from liuhen.config import Settings
from liuhen.services.admin.doctor import machine, stored
from liuhen.services.admin.doctor.model import Check, guarded

__all__ = ["Check", "guarded", "pdf_stack_problems", "pdf_warning", "run_doctor"]


def run_doctor(settings: Settings, *, render_pdf: bool = True) -> list[Check]:
    """Every check, machine first, then the configured store."""
    return [*machine.checks(settings, render_pdf=render_pdf), *stored.checks(settings)]


def pdf_stack_problems() -> list[Check]:
    """The fast checks ``serve`` runs before it starts: fonts and native libraries (no
    rendering, which would cost seconds at every start)."""
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
