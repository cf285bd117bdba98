"""The last check before a row is written: no text longer than its column, no NUL and no
lone surrogate anywhere (also inside JSON), no JSON nested past ``MAX_DEPTH``. SQLite would
store all of these; PostgreSQL refuses them with an error the user should never see. So
both refuse them here, alike, as ``InvalidInput`` naming the column (``Tx.insert`` and
``Tx.update`` call ``check_row``). The commands check their own fields first, with their
own names for them (``domain/limits.py``); this catches whatever else a caller sends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, Table, Text

from liuhen.domain.limits import JSON_STRING_MAX, NOTE_MAX, bad_text
from liuhen.errors import InvalidInput
from liuhen.store.types import JSONText

MAX_DEPTH = 64


def check_row(table: Table, values: Mapping[str, Any]) -> None:
    """Raise InvalidInput listing every value of ``values`` its column must not hold."""
    problems: list[str] = []
    for name, value in values.items():
        column = table.c.get(name)
        if column is None or value is None:
            continue
        kind = column.type
        if isinstance(kind, JSONText):
            problems += _json_problems(name, value)
        elif isinstance(value, str):
            limit = NOTE_MAX if isinstance(kind, Text) else getattr(kind, "length", None)
            if isinstance(kind, String) and (wrong := bad_text(value, limit)):
                problems.append(f"{name}: {wrong}")
    if problems:
        raise InvalidInput("提交的内容无法保存", details=problems)


def _json_problems(name: str, value: Any) -> list[str]:
    """Problems of the strings (keys too) inside a JSON value, by path; iterative, so no
    nesting can exhaust the stack."""
    problems: list[str] = []
    stack: list[tuple[str, Any, int]] = [(name, value, 0)]
    while stack and len(problems) < 20:
        path, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.append(f"{path}: 嵌套超过 {MAX_DEPTH} 层")
            continue
        if isinstance(item, str):
            if wrong := bad_text(item, JSON_STRING_MAX):
                problems.append(f"{path}: {wrong}")
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                if isinstance(key, str) and (wrong := bad_text(key, 200)):
                    problems.append(f"{path}: 字段名{wrong}")
                stack.append((f"{path}.{key}", inner, depth + 1))
        elif isinstance(item, list | tuple):
            stack += [(f"{path}[{i}]", inner, depth + 1) for i, inner in enumerate(item)]
    return sorted(problems)
