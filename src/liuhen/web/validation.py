"""Requests the framework cannot read, in the project's error format: FastAPI's validation
errors (a missing query parameter, a body that is not JSON, a field of the wrong type) and
the body parser's refusals become ``InvalidInput`` with one "field: 说明" line per problem,
in Chinese; nothing of the offending input is echoed (it may not even be encodable).

``web/app.py`` maps them to a response like every other ``LiuhenError``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from liuhen.errors import InvalidInput

PROBLEMS: dict[str, str] = {
    "missing": "缺少该项",
    "json_invalid": "不是有效的 JSON（或不是 UTF-8 编码）",
    "json_type": "应为 JSON",
    "string_type": "应为文本",
    "string_too_long": "过长",
    "string_too_short": "不能为空",
    "string_unicode": "应为 UTF-8 文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "list_type": "应为列表",
    "literal_error": "不是可选的值",
    "enum": "不是可选的值",
    "extra_forbidden": "不是接口定义的字段",
    "datetime_parsing": "应为 ISO 8601 时间",
    "datetime_type": "应为 ISO 8601 时间",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "greater_than_equal": "超出允许的范围",
    "less_than_equal": "超出允许的范围",
    "too_long": "项数过多",
    "too_short": "项数不足",
}
WHERE = {"query": "查询参数", "header": "请求头", "path": "路径", "cookie": "Cookie", "body": ""}
MAX_HEADER_NUMBER = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def field_name(loc: Sequence[Any]) -> str:
    """``("body", "requester", "name")`` → ``requester.name``; the body itself (a JSON
    error points at a character position) → ``请求体``."""
    parts = [str(p) for p in loc[1:] if not isinstance(p, int)]
    if not parts:
        return "请求体" if loc and loc[0] == "body" else WHERE.get(str(loc[0]), "请求")
    return ".".join(parts)


def invalid_request(errors: Sequence[Any]) -> InvalidInput:
    """One ``InvalidInput`` for FastAPI's list of validation errors."""
    lines = []
    for error in errors:
        kind = str(error.get("type", ""))
        lines.append(f"{field_name(error.get('loc', ()))}: {PROBLEMS.get(kind, '取值无效')}")
    unique = list(dict.fromkeys(lines))
    return InvalidInput("请求内容有误，请按接口说明改正下列各项", details=unique)


def unreadable_body(status: int, detail: str = "") -> InvalidInput:
    """The body parser's refusal (a form that cannot be parsed, a field over the form
    parser's 1 MB, too many fields, JSON nested too deep), in Chinese."""
    if status == 413:
        return InvalidInput("请求体: 过大")
    if "exceeded maximum size" in detail:
        size = re.search(r"(\d+)KB", detail)
        limit = f"{int(size.group(1)) // 1024} MB" if size else "允许的大小"
        return InvalidInput(f"请求体: 某一字段超过 {limit}，未保存任何内容：请缩短后重新提交")
    if "Too many" in detail:
        return InvalidInput("请求体: 字段或文件过多，未保存任何内容")
    return InvalidInput("请求体: 无法解析（格式或编码有误，或嵌套过深），请检查后重新提交")


def header_number(value: str | None, name: str, *, maximum: int = MAX_HEADER_NUMBER) -> int:
    """A non-negative decimal integer header, ASCII digits only (``str.isdigit`` would take
    "²" and "٣"), at most ``maximum``; InvalidInput naming the header otherwise."""
    text = (value or "").strip()
    if not _DIGITS.fullmatch(text) or int(text) > maximum:
        raise InvalidInput(f"{name}: 缺少该请求头，或不是 0 至 {maximum} 之间的十进制整数")
    return int(text)
