"""Reading a package's JSON as hostile input: every fault is a ``(JSON path, message)``.

A package comes from outside: its JSON may be invalid, nested a million deep, hold lone
surrogates (which parse, then break every print), ``NaN``, or the right keys with the wrong
types. ``load_json`` parses strictly and ``Shape`` checks the fields the verifier and the
四性检测 read, so that ``verify-package`` reports a finding naming the file and the JSON
path instead of ending in a traceback. Paths are written as in case bundles: ``$.files[2].sm3``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

MAX_DEPTH = 64
"""Deeper than any file LiuHen writes (a case bundle is about six levels)."""
HEX64 = re.compile(r"[0-9a-f]{64}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BASE64_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{86}==")
_FINGERPRINT = re.compile(r"SHA256:[0-9a-f]{64}")
JsonPath = tuple[str | int, ...]


class JsonFault(ValueError):
    """A JSON document that LiuHen could not have written: where, and what is wrong."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def json_path(parts: JsonPath) -> str:
    """``$.files[2].sm3`` for the keys and indexes ``parts``."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{printable(p)}"
    return out


def printable(text: str) -> str:
    """``text`` with any lone surrogate escaped, so it can always be printed and encoded."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _no_constants(name: str) -> Any:
    raise ValueError(f"不允许 {name}")


def load_json(data: bytes) -> Any:
    """The JSON value in ``data`` (UTF-8); ``JsonFault`` for invalid UTF-8 or JSON, ``NaN`` and
    ``Infinity``, nesting deeper than ``MAX_DEPTH``, or a lone surrogate in a key or string."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonFault("$", f"不是 UTF-8 文本（第 {exc.start} 字节）") from None
    return parse_json(text)


def parse_json(text: str) -> Any:
    """``load_json`` of text already decoded (one line of a JSON Lines file)."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise JsonFault("$", f"嵌套过深（超过 {MAX_DEPTH} 层）") from None
    except ValueError as exc:
        raise JsonFault("$", f"不是有效的 JSON：{exc}") from None
    _check_tree(value)
    return value


def _check_tree(value: Any) -> None:
    """Depth and lone surrogates, walked without recursion (the input chooses the depth)."""
    stack: list[tuple[Any, JsonPath]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise JsonFault(json_path(path[:MAX_DEPTH]), f"嵌套过深（超过 {MAX_DEPTH} 层）")
        if isinstance(item, str) and _SURROGATE.search(item):
            raise JsonFault(json_path(path), "含有孤立的代理字符（lone surrogate），不是有效的文本")
        if isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    raise JsonFault(json_path(path), "键名含有孤立的代理字符（lone surrogate）")
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, i)) for i, child in enumerate(item))


class Shape:
    """Checks of one document's fields; ``faults`` lists each wrong one with its path.

    Each check answers whether the value is right, so a caller reads on only where it is."""

    def __init__(self) -> None:
        self.faults: list[tuple[str, str]] = []

    def fault(self, path: JsonPath, message: str) -> bool:
        self.faults.append((json_path(path), message))
        return False

    def obj(self, value: Any, path: JsonPath, *, optional: bool = False) -> bool:
        if isinstance(value, dict) or (optional and value is None):
            return True
        return self.fault(path, f"应为对象，实为 {_kind(value)}")

    def items(self, value: Any, path: JsonPath) -> list[Any]:
        """The list at ``path`` (empty when it is something else)."""
        if isinstance(value, list):
            return value
        self.fault(path, f"应为列表，实为 {_kind(value)}")
        return []

    def text(self, value: Any, path: JsonPath, *, optional: bool = False) -> bool:
        if isinstance(value, str) or (optional and value is None):
            return True
        return self.fault(path, f"应为字符串，实为 {_kind(value)}")

    def count(self, value: Any, path: JsonPath) -> bool:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return True
        return self.fault(path, f"应为非负整数，实为 {_kind(value)}")

    def hex64(self, value: Any, path: JsonPath) -> bool:
        if isinstance(value, str) and HEX64.fullmatch(value):
            return True
        return self.fault(path, "应为 64 位小写十六进制摘要")

    def moment(self, value: Any, path: JsonPath) -> bool:
        """An ISO 8601 time with its offset, or nothing."""
        if value is None or value == "":
            return True
        try:
            ok = isinstance(value, str) and datetime.fromisoformat(value).utcoffset() is not None
        except ValueError:
            ok = False
        return ok or self.fault(path, "应为带时区的 ISO 8601 时间")

    def package_path(self, value: Any, path: JsonPath, *, payload: bool = True) -> bool:
        """A relative path inside the package (under ``data/`` when ``payload``)."""
        if not self.text(value, path):
            return False
        parts = value.split("/")
        if value.startswith("/") or "\\" in value or ".." in parts or "" in parts:
            return self.fault(path, "路径不安全（绝对路径、.. 或空段）")
        if payload and not value.startswith("data/"):
            return self.fault(path, "应为 data/ 下的路径")
        return True


def _kind(value: Any) -> str:
    names = {dict: "对象", list: "列表", str: "字符串", bool: "布尔值", int: "整数", float: "小数"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def checkpoint_faults(value: Any, at: JsonPath = ()) -> list[tuple[str, str]]:
    """What is wrong with a checkpoint (``checkpoint_to_dict`` form) at ``at``, in the words
    of the report; ``checkpoint_from_dict`` then reads it."""
    s = Shape()
    if not s.obj(value, at):
        return s.faults
    s.text(value.get("origin"), (*at, "origin"))
    s.count(value.get("tree_size"), (*at, "tree_size"))
    s.hex64(value.get("root_hash"), (*at, "root_hash"))
    timestamp = value.get("timestamp")
    if timestamp:
        s.moment(timestamp, (*at, "timestamp"))
    else:
        s.fault((*at, "timestamp"), "应为带时区的 ISO 8601 时间")
    signature = value.get("signature")
    if not (isinstance(signature, str) and _BASE64_SIGNATURE.fullmatch(signature)):
        s.fault((*at, "signature"), "应为 64 字节签名的 base64")
    fingerprint = value.get("key_fingerprint")
    if not (isinstance(fingerprint, str) and _FINGERPRINT.fullmatch(fingerprint)):
        s.fault((*at, "key_fingerprint"), "应为 SHA256: 加 64 位小写十六进制")
    return s.faults


def index_faults(index: Any) -> list[tuple[str, str]]:
    """What is wrong with ``data/metadata/files.json`` for the checks that read it."""
    s = Shape()
    if not s.obj(index, ()):
        return s.faults
    s.text(index.get("case_id"), ("case_id",))
    for i, entry in enumerate(s.items(index.get("files"), ("files",))):
        at: JsonPath = ("files", i)
        if s.obj(entry, at):
            s.package_path(entry.get("path"), (*at, "path"))
            s.text(entry.get("record_id"), (*at, "record_id"))
            s.hex64(entry.get("sha256"), (*at, "sha256"))
            s.hex64(entry.get("sm3"), (*at, "sm3"))
            s.count(entry.get("size"), (*at, "size"))
            s.text(entry.get("media_type"), (*at, "media_type"), optional=True)
            if entry.get("sealed") not in (None, True, False):
                s.fault((*at, "sealed"), "应为布尔值")
    for i, entry in enumerate(s.items(index.get("renditions", []), ("renditions",))):
        at = ("renditions", i)
        if s.obj(entry, at):
            s.package_path(entry.get("path"), (*at, "path"))
            s.package_path(entry.get("source"), (*at, "source"))
            s.hex64(entry.get("sha256"), (*at, "sha256"))
            s.hex64(entry.get("sm3"), (*at, "sm3"))
            s.count(entry.get("size"), (*at, "size"))
    for i, entry in enumerate(s.items(index.get("reviews", []), ("reviews",))):
        at = ("reviews", i)
        if s.obj(entry, at):
            s.package_path(entry.get("path"), (*at, "path"))
            s.text(entry.get("title"), (*at, "title"), optional=True)
            s.hex64(entry.get("sha256"), (*at, "sha256"))
            s.hex64(entry.get("sm3"), (*at, "sm3"))
            s.count(entry.get("size"), (*at, "size"))
    for i, entry in enumerate(s.items(index.get("not_held", []), ("not_held",))):
        if s.obj(entry, ("not_held", i)):
            s.text(entry.get("record_id"), ("not_held", i, "record_id"))
            s.text(entry.get("sha256"), ("not_held", i, "sha256"), optional=True)
    case_file = index.get("case_file")
    if s.obj(case_file, ("case_file",), optional=True) and case_file is not None:
        s.package_path(case_file.get("path"), ("case_file", "path"))
        s.text(case_file.get("conformance"), ("case_file", "conformance"), optional=True)
    for i, item in enumerate(s.items(index.get("catalogue", []), ("catalogue",))):
        if s.obj(item, ("catalogue", i)):
            for key in ("seq", "first_page", "last_page"):
                s.count(item.get(key, 0), ("catalogue", i, key))
    return s.faults


def bundle_faults(bundle: Any) -> list[tuple[str, str]]:
    """What is wrong with ``data/metadata/case-bundle.json`` for the checks that read it."""
    s = Shape()
    if not s.obj(bundle, ()):
        return s.faults
    if s.obj(bundle.get("case"), ("case",)):
        s.text(bundle["case"].get("id"), ("case", "id"))
    for key in ("party", "agency"):
        s.obj(bundle.get(key, {}), (key,))
    for key in ("approvals", "services", "execution"):
        s.items(bundle.get(key, []), (key,))
    for i, record in enumerate(s.items(bundle.get("text_records", []), ("text_records",))):
        if s.obj(record, ("text_records", i)):
            s.text(record.get("id"), ("text_records", i, "id"))
    for i, record in enumerate(s.items(bundle.get("av_records", []), ("av_records",))):
        _av_record(s, record, ("av_records", i))
    return s.faults


def _av_record(s: Shape, record: Any, at: JsonPath) -> None:
    if not s.obj(record, at):
        return
    s.text(record.get("id"), (*at, "id"))
    for j, segment in enumerate(s.items(record.get("segments", []), (*at, "segments"))):
        where = (*at, "segments", j)
        if s.obj(segment, where):
            s.text(segment.get("sha256"), (*where, "sha256"), optional=True)
            s.moment(segment.get("start"), (*where, "start"))
            s.moment(segment.get("end"), (*where, "end"))
