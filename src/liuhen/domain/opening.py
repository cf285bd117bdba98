"""What makes a new case's facts wrong before it is stored, whoever opens it (the web form,
the API, the command line, a case bundle): its procedure, number, title, opening time,
and the length and characters of its text fields and its party's (``limits``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from liuhen.domain.limits import CASE_LIMITS, PARTY_LIMITS, text_problems
from liuhen.domain.vocab import PROCEDURES


def case_problems(
    procedure: str,
    number: str,
    title: str,
    opened_at: datetime,
    *,
    party: Mapping[str, Any] | None = None,
    section: str = "",
    prefix: str = "",
) -> list[str]:
    """Every problem of a new case's fields, one "field: 说明" line each (``prefix``: where
    the case sits, e.g. ``$.case.`` in a bundle; its party's fields are ``party.*``)."""
    problems = []
    if procedure not in PROCEDURES:
        problems.append(
            f"{prefix}procedure: 程序类型无效 {procedure!r}，可选：{', '.join(PROCEDURES)}"
        )
    if not number.strip():
        problems.append(f"{prefix}number: 案件编号不能为空")
    if not title.strip():
        problems.append(f"{prefix}title: 案件名称不能为空")
    if opened_at.tzinfo is None:
        problems.append(f"{prefix}opened_at: 时间须带时区")
    problems += text_problems(
        {"number": number, "title": title, "section": section}, CASE_LIMITS, prefix
    )
    if party is not None:
        problems += text_problems(party, PARTY_LIMITS, f"{prefix}party.")
    return problems
