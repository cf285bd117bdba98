"""Rule types: a registry of classes, one per kind of check, each declaring its parameters.

A profile rule names its ``type``; ``build_rule`` looks the class up here. Each class
declares its parameters' JSON Schema (``params_schema``, checked by the profile loader in
``rules.sources``) and checks their meaning itself (``validate_params``). Adding a check is
adding a class with ``@rule_type("name")``: there is no if/elif chain.

Import cycle (type hints only): with ``liuhen.rules.engine.context``: a rule and the
context it checks in are one idea.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from liuhen.domain.finding import Finding

if TYPE_CHECKING:
    from liuhen.rules.engine.context import CheckContext

Problem = tuple[tuple[str | int, ...], str]
"""A parameter problem: the path inside ``params`` and the reason (Chinese)."""


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule of a profile after ``extends`` is resolved: data, not behaviour."""

    id: str
    type: str
    citation: str
    severity: str
    message: str
    remedy: str
    title: str = ""
    also_cites: tuple[str, ...] = ()
    procedures: frozenset[str] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    blocks: frozenset[str] = frozenset()
    """The gates (``vocab.GATES``: decide, close, file) this rule's open findings hold shut."""


class Rule:
    """Base of every rule type. Subclasses set the class attributes and ``check``."""

    type_name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "additionalProperties": False}
    message_vars: ClassVar[dict[str, str]] = {}

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        self.id = spec.id
        self.citation = spec.citation
        self.severity = spec.severity
        self.blocks = spec.blocks
        self.configure(spec.params)

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> list[Problem]:
        """Checks beyond the JSON Schema (periods, citations). Empty list when fine."""
        return []

    def configure(self, params: Mapping[str, Any]) -> None:
        """Turn validated params into attributes; called once when the profile loads."""

    def param_citations(self) -> tuple[str, ...]:
        """Citations named inside the parameters (per act kind, per mode ...)."""
        return ()

    def citations(self) -> tuple[str, ...]:
        seen: dict[str, None] = {self.citation: None}
        for c in (*self.spec.also_cites, *self.param_citations()):
            seen.setdefault(c, None)
        return tuple(seen)

    def applies_to(self, procedure: str) -> bool:
        return self.spec.procedures is None or procedure in self.spec.procedures

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        raise NotImplementedError


RULE_TYPES: dict[str, type[Rule]] = {}
COMMON_MESSAGE_VARS: dict[str, str] = {
    "subject": "对象（如“音像记录 AV1”）",
    "citation": "所引条文",
    "due": "期限（无期限时为空）",
    "case": "案件编号",
    "state": "期限类规则的完成情况（已逾期、尚未完成等）",
}


def rule_type(name: str) -> Any:
    """Class decorator: register a rule type under ``name``."""

    def register(cls: type[Rule]) -> type[Rule]:
        if name in RULE_TYPES:
            raise ValueError(f"rule type {name!r} registered twice")
        cls.type_name = name
        RULE_TYPES[name] = cls
        return cls

    return register


def build_rule(spec: RuleSpec) -> Rule:
    """The one factory from rule data to a rule object (the type must be registered)."""
    return RULE_TYPES[spec.type](spec)


# -- helpers shared by parameter schemas -------------------------------------------------

CITATION_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 3}
PERIOD_SCHEMA: dict[str, Any] = {"type": ["string", "integer"]}
STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}


def obj(properties: Mapping[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed JSON Schema object."""
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(required),
        "additionalProperties": False,
    }


def check_periods(params: Mapping[str, Any], *names: str) -> list[Problem]:
    from liuhen.rules.engine.periods import Period

    problems: list[Problem] = []
    for name in names:
        value = params.get(name)
        if value is None:
            continue
        try:
            Period.parse(value)
        except ValueError as exc:
            problems.append(((name,), str(exc)))
    return problems


def check_codes(
    values: Any, vocabulary: Mapping[str, str], path: tuple[str | int, ...], what: str
) -> list[Problem]:
    """Every code in ``values`` (a string or list) must be in ``vocabulary``."""
    items = [values] if isinstance(values, str) else list(values or [])
    return [
        ((*path, i) if not isinstance(values, str) else path, f"未知的{what} {v!r}")
        for i, v in enumerate(items)
        if v not in vocabulary
    ]
