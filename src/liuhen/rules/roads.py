"""The roads of the procedures: each procedure's milestones in the order the law sets them
(立案审批, 调查取证, 告知, 法制审核, 负责人审批, 决定, 送达, 履行, 结案, 归档), as data.
A milestone names the profile rules it stands on (the profile decides whether it applies and
which article it cites), the reference that marks it done, and what its button does.
``rules/next_steps`` walks them. Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

HANDED_OVER = "case_file:handed_over"
"""The ``done`` of the filing milestone (the references of ``refs`` know only "formed")."""


@dataclass(frozen=True)
class Milestone:
    """One step of a procedure's road, as data."""

    key: str
    title: str
    rules: tuple[str, ...]
    """The profile rules the step stands on: the first the profile has gives the citation;
    with none of them, the profile does not require the step."""
    done: str
    """A reference (``rules.engine.refs``) whose moment means the step is done."""
    action: str
    who: str = "officer"
    due_rule: str = ""
    """The rule whose pending finding gives the step's due time."""
    outcomes: tuple[str, ...] = ()
    """Only when the case's (likely) outcome is one of these."""
    unless_outcomes: tuple[str, ...] = ()


CLOSE = Milestone("close", "结案（确定处理结果）", ("case-documents",), "case:ended", "close")
FILE = Milestone(
    "file",
    "形成案卷，移交档案管理员归档",
    ("case-file-deadline", "case-file-retention"),
    HANDED_OVER,
    "file",
    who="custodian",
    due_rule="case-file-deadline",
)
GENERAL = (
    Milestone(
        "initiation",
        "立案（程序启动）审批",
        ("initiation-approval",),
        "approval:initiation",
        "approval:initiation",
    ),
    Milestone(
        "investigation",
        "调查取证：现场检查或询问，制作笔录",
        ("case-documents", "act-documents"),
        "document:inquiry_record|inspection_record|survey_record",
        "act",
    ),
    Milestone(
        "rights_notice",
        "告知拟作出的处罚及陈述、申辩、听证等权利",
        ("rights-notified",),
        "document:rights_notice",
        "document:rights_notice",
        unless_outcomes=("no_penalty", "transfer", "not_opened"),
    ),
    Milestone(
        "legal_review",
        "法制审核",
        ("legal-review",),
        "approval:legal_review",
        "approval:legal_review",
    ),
    Milestone(
        "collective_discussion",
        "负责人集体讨论",
        ("collective-discussion",),
        "approval:collective_discussion",
        "approval:collective_discussion",
    ),
    Milestone(
        "head_approval",
        "负责人审批（行政执法决定）",
        ("head-approval",),
        "approval:decision",
        "approval:decision",
    ),
    Milestone(
        "decision",
        "制作行政处罚决定书",
        ("decision-items", "case-documents"),
        "document:penalty_decision|no_penalty_decision",
        "document:penalty_decision",
        due_rule="decision-in-90-days",
    ),
    Milestone(
        "serve_decision",
        "送达行政处罚决定书",
        ("documents-served",),
        "service:penalty_decision",
        "service:penalty_decision",
        due_rule="documents-served",
        outcomes=("penalty",),
    ),
    Milestone(
        "performance",
        "记录当事人履行决定的情况（缴款、履行或执行）",
        ("performance-recorded",),
        "execution:performance|fine_paid|restoration_done|court_result",
        "execution:performance",
        outcomes=("penalty",),
    ),
    CLOSE,
    FILE,
)
SIMPLE = (
    Milestone(
        "spot_decision",
        "当场作出行政处罚决定书，交付当事人",
        ("spot-decision-items", "case-documents"),
        "document:on_the_spot_decision",
        "document:on_the_spot_decision",
    ),
    Milestone(
        "performance",
        "记录当事人履行决定的情况（缴款、履行或执行）",
        ("performance-recorded",),
        "execution:performance|fine_paid|restoration_done|court_result",
        "execution:fine_paid",
        outcomes=("penalty",),
    ),
    CLOSE,
    FILE,
)
COERCION = (
    Milestone(
        "coercion_approval",
        "行政强制措施审批（情况紧急的，24小时内补报）",
        ("coercion-approval",),
        "approval:coercion",
        "approval:coercion",
    ),
    Milestone(
        "coercion_act",
        "实施查封、扣押等强制措施并全程音像记录",
        ("av-required", "coercion-approval"),
        "act:seal_up|seize|suspend|restrict_freedom",
        "act",
    ),
    Milestone(
        "coercion_decision",
        "制作查封（扣押）决定书及清单",
        ("coercion-decision-items", "case-documents"),
        "document:coercion_decision",
        "document:coercion_decision",
    ),
    Milestone(
        "serve_coercion",
        "送达查封（扣押）决定书",
        ("documents-served",),
        "service:coercion_decision",
        "service:coercion_decision",
        due_rule="documents-served",
    ),
    CLOSE,
    FILE,
)
INSPECTION = (
    Milestone(
        "inspection",
        "现场检查并制作现场检查笔录",
        ("case-documents", "act-documents"),
        "document:inspection_record",
        "act",
    ),
    CLOSE,
    FILE,
)
ROADS: dict[str, tuple[Milestone, ...]] = {
    "general": GENERAL,
    "simple": SIMPLE,
    "coercion": COERCION,
    "inspection": INSPECTION,
}
"""Procedure -> its road; other procedures (依申请, 投诉举报) close and file."""

GATE_STEPS = {
    "decide": ("decision", "spot_decision", "coercion_decision"),
    "close": ("close",),
    "file": ("file",),
}
"""Gate -> the milestones that take it (the roads' decisions, closing and filing)."""
