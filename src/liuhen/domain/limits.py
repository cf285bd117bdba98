"""How long the text of a record may be, and what no text may hold: the same on SQLite
(which stores any length) as on PostgreSQL (which refuses past a column's length, and
refuses NUL characters), whether it comes from a form, the API, the command line or a case
bundle.

Field limits are the lengths of the columns that hold them (``store/tables.py``; a unit
test keeps the two equal); free text (notes, reasons, opinions, a document's fields) has
``NOTE_MAX``. ``text_problems`` gives every problem as "field: 说明" lines, the way a
command's validation reports them; ``bad_text`` tells what is wrong with one string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

CASE_LIMITS: dict[str, tuple[str, int]] = {
    "number": ("案件编号", 100),
    "title": ("案件名称", 300),
    "cause": ("案由", 300),
    "section": ("承办科室", 200),
}
"""Case field -> (its name, the most characters it may have)."""
PARTY_LIMITS: dict[str, tuple[str, int]] = {
    "name": ("当事人名称", 200),
    "id_number": ("证件号码", 60),
    "address": ("住所/地址", 300),
    "phone": ("联系电话", 60),
    "legal_representative": ("法定代表人/负责人", 100),
}
ACT_LIMITS: dict[str, tuple[str, int]] = {"place": ("地点", 300)}
RECORD_LIMITS: dict[str, tuple[str, int]] = {"title": ("名称", 300)}
NOTE_MAX = 10_000
"""Free text of one field (a note, a reason, an opinion, a purpose)."""
JSON_STRING_MAX = 100_000
"""One string inside a record's structured details (a document field, a transcript)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def bad_text(value: str, limit: int | None = None) -> str | None:
    """What is wrong with ``value`` as stored text, or None: a NUL character, a lone
    surrogate (not encodable as UTF-8), more than ``limit`` characters. Every text of every
    row written passes here (``store/text_guard``): the surrogates are looked for by one
    search in C, and not at all in ASCII text."""
    if "\x00" in value:
        return "含有空字符（\\0），请删除后重新提交"
    if not value.isascii() and _SURROGATE.search(value):
        return "含有无法编码的字符（孤立的 UTF-16 代理码位），请检查编码后重新提交"
    if limit is not None and len(value) > limit:
        return f"过长：{len(value)} 个字符，最多 {limit} 个"
    return None


def text_problems(
    values: Mapping[str, Any], limits: Mapping[str, tuple[str, int]], prefix: str = ""
) -> list[str]:
    """Problems of the text fields of ``values`` named in ``limits``, one "field: 说明"
    line each (``prefix`` before the field: a JSON path such as ``$.case.``)."""
    problems = []
    for key, (label, limit) in limits.items():
        value = values.get(key)
        if isinstance(value, str) and (wrong := bad_text(value, limit)):
            problems.append(f"{prefix}{key}: {label}{wrong}")
    return problems


def note_problems(values: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Problems of free-text fields (any string value of ``values``) against ``NOTE_MAX``."""
    return [
        f"{prefix}{key}: {wrong}"
        for key, value in values.items()
        if isinstance(value, str) and (wrong := bad_text(value, NOTE_MAX))
    ]
