"""The case bundle as data: ``liuhen.domain.Case`` to and from the bundle dict.

Driven by the type hints of ``liuhen.domain.case``, so a field added there travels without
code here. Pure: the dict is already validated (``bundle.load_bundle`` reads and checks it).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from liuhen.domain.case import Case

FORMAT = "liuhen-case-bundle"
VERSION = 2
_CASE_KEYS = (
    "id", "number", "title", "cause", "procedure", "opened_at", "ended_at", "outcome",
    "flags", "confidential", "penalty", "application", "complaint",
)  # fmt: skip


def _build(tp: Any, value: Any) -> Any:
    return _builder(tp)(value)


Build = typing.Callable[[Any], Any]


def _keep(value: Any) -> Any:
    return value


@cache
def _builder(tp: Any) -> Build:
    """How to build a value of ``tp`` from its bundle form, worked out once per type (the
    type hints are read here, not for each value: a case page builds ~500 values)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _optional(_builder(args[0]))
        return _optional(lambda v: list(v) if isinstance(v, list) else v)
    if origin is tuple:
        item = _builder(typing.get_args(tp)[0])
        return _optional(lambda v: tuple(item(x) for x in v))
    if origin is frozenset:
        return _optional(frozenset)
    if origin is not None and issubclass(origin, Mapping):
        return _optional(
            lambda v: {k: (list(x) if isinstance(x, list) else x) for k, x in v.items()}
        )
    if tp is datetime:
        return _optional(datetime.fromisoformat)
    if tp is date:
        return _optional(date.fromisoformat)
    if tp is float:
        return _optional(lambda v: float(v) if isinstance(v, int) else v)
    if dataclasses.is_dataclass(tp):
        return _optional(_dataclass_builder(tp))
    return _keep


def _optional(build: Build) -> Build:
    return lambda value: None if value is None else build(value)


def _dataclass_builder(tp: Any) -> Build:
    fields: list[tuple[str, Build]] = []  # filled on first use (a field may name ``tp``)

    def build(value: Any) -> Any:
        if not fields:
            hints = _hints(tp)
            fields.extend((f.name, _builder(hints[f.name])) for f in dataclasses.fields(tp))
        return tp(**{name: b(value[name]) for name, b in fields if name in value})

    return build


@cache
def _hints(tp: Any) -> dict[str, Any]:
    return typing.get_type_hints(tp)  # each dataclass resolves its names in its own module


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            default = (
                f.default
                if f.default is not dataclasses.MISSING
                else (
                    f.default_factory()
                    if f.default_factory is not dataclasses.MISSING
                    else dataclasses.MISSING
                )
            )
            if default is not dataclasses.MISSING and v == default:
                continue
            out[f.name] = _dump(v)
        return out
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def case_from_checked(data: Mapping[str, Any]) -> Case:
    """The ``Case`` of an already validated bundle dict."""
    merged = {**{k: data["case"][k] for k in _CASE_KEYS if k in data["case"]}}
    for key in ("agency", "party", "co_parties", "trips", "officers", "devices", "acts",
                "text_records", "av_records", "approvals", "services", "execution", "case_file",
                "access_requests"):  # fmt: skip
        if key in data:
            merged[key] = data[key]
    case: Case = _build(Case, merged)
    return case


def case_to_bundle(case: Case) -> dict[str, Any]:
    """The bundle dict of ``case``; ``load_bundle(case_to_bundle(c)) == c``."""
    flat = _dump(case)
    bundle: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    bundle["agency"] = flat.pop("agency")
    bundle["case"] = {k: flat.pop(k) for k in _CASE_KEYS if k in flat}
    bundle["party"] = flat.pop("party")
    bundle.update(flat)
    return bundle
