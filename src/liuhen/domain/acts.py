"""Which enforcement acts (执法环节) a procedure has, and what makes an act's facts wrong
before it is stored: the kind must be one of its procedure's, the times in order.

The acts of a procedure follow the laws that define it: 行政处罚法 (general procedure:
inspection, inquiry, survey, sampling, 先行登记保存 §56, 听证 §63, 陈述申辩 §44-45;
simple procedure: 当场处罚 §51-53), 行政强制法 (查封、扣押 §22-28, 限制人身自由,
代履行 §50, 强制拆除 §44), 行政许可法 (受理 §32, 听证 §46-47). Every procedure may inspect,
ask, survey, sample, collect evidence, hear the party and record "other" acts.
"""

from __future__ import annotations

from datetime import datetime

from liuhen.domain.vocab import ACT_KINDS, PROCEDURES

_COMMON = frozenset(
    {"inspection", "inquiry", "survey", "sampling", "evidence_collection", "statement", "other"}
)
_MEASURES = frozenset({"preservation", "seal_up", "seize", "suspend"})
_FOLLOW_UP = frozenset({"re_inspection", "rectification_order"})

ACTS_BY_PROCEDURE: dict[str, frozenset[str]] = {
    "general": _COMMON | _MEASURES | _FOLLOW_UP | {"hearing"},
    "simple": _COMMON | {"on_the_spot_penalty"},
    "inspection": _COMMON | _MEASURES | _FOLLOW_UP,
    "coercion": _COMMON
    | _MEASURES
    | _FOLLOW_UP
    | {"demolish", "perform_on_behalf", "restrict_freedom"},
    "application": _COMMON | {"application_acceptance", "hearing"},
    "complaint": _COMMON | _FOLLOW_UP,
}
"""Procedure -> the act kinds (``vocab.ACT_KINDS`` codes) a case of it may record."""


def act_kinds(procedure: str) -> dict[str, str]:
    """The act kinds of ``procedure`` as code -> name, in the vocabulary's order (every
    kind for a procedure the table does not know)."""
    allowed = ACTS_BY_PROCEDURE.get(procedure, frozenset(ACT_KINDS))
    return {code: name for code, name in ACT_KINDS.items() if code in allowed}


def act_problems(
    procedure: str, kind: str, started_at: datetime | None, ended_at: datetime | None
) -> list[str]:
    """Every problem with an act's kind and times, as "field: 说明" lines (empty: none)."""
    problems = []
    if not kind:
        problems.append("kind: 请选择执法环节类型")
    elif kind not in ACT_KINDS:
        problems.append(f"kind: 没有“{kind}”这种执法环节类型")
    elif kind not in act_kinds(procedure):
        names = "、".join(act_kinds(procedure).values())
        problems.append(
            f"kind: {PROCEDURES.get(procedure, procedure)}案件没有“{ACT_KINDS[kind]}”环节；"
            f"可记录：{names}"
        )
    if started_at is None:
        problems.append("started_at: 请填写开始时间")
    elif started_at.tzinfo is None or (ended_at is not None and ended_at.tzinfo is None):
        problems.append("started_at: 时间须带时区")
    elif ended_at is not None and ended_at < started_at:
        problems.append("ended_at: 结束时间早于开始时间")
    return problems
