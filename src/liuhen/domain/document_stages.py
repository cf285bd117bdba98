"""Document kinds grouped by the stage of the procedure they belong to, for choosing a kind
(立案 → 调查取证 → 审查决定 → 告知 → 送达 → 执行 → 结案归档, after 行政处罚法§47's stage
model). Every kind in ``vocab.DOCUMENT_KINDS`` has exactly one stage; 其他文书 comes last."""

from __future__ import annotations

from liuhen.domain.vocab import DOCUMENT_KINDS

DOCUMENT_STAGES: dict[str, str] = {
    "initiation": "立案",
    "investigation": "调查取证",
    "decision": "审查决定",
    "notice": "告知",
    "service": "送达",
    "execution": "执行",
    "closing": "结案归档",
    "other": "其他",
}

STAGE_OF_KIND: dict[str, str] = {
    "complaint_registration": "initiation",
    "complaint_reply": "initiation",
    "application_registration": "initiation",
    "application_receipt": "initiation",
    "correction_record": "initiation",
    "acceptance_notice": "initiation",
    "rejection_notice": "initiation",
    "initiation_approval": "initiation",
    "inquiry_record": "investigation",
    "inspection_record": "investigation",
    "survey_record": "investigation",
    "evidence_notice": "investigation",
    "preservation_notice": "investigation",
    "preservation_list": "investigation",
    "preservation_handling": "investigation",
    "sampling_list": "investigation",
    "expert_opinion": "investigation",
    "expert_minutes": "investigation",
    "investigation_report": "investigation",
    "draft_decision": "decision",
    "penalty_opinion": "decision",
    "legal_review_opinion": "decision",
    "collective_discussion_record": "decision",
    "penalty_decision": "decision",
    "no_penalty_decision": "decision",
    "on_the_spot_decision": "decision",
    "simple_procedure_record": "decision",
    "rectification_order": "decision",
    "coercion_decision": "decision",
    "coercion_list": "decision",
    "enforcement_decision": "execution",
    "demolition_notice": "execution",
    "perform_on_behalf_decision": "execution",
    "electronic_service_consent": "service",
    "rights_notice": "notice",
    "statement_record": "notice",
    "hearing_notice": "notice",
    "hearing_record": "notice",
    "supplement_notice": "notice",
    "service_receipt": "service",
    "reminder": "execution",
    "enforcement_application": "execution",
    "execution_statement": "execution",
    "re_inspection_opinion": "execution",
    "closing_report": "closing",
    "other": "other",
}


def kinds_by_stage() -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(stage name, [(kind code, kind name), …]), …]`` in stage order, each stage's kinds
    in the vocabulary's order; a stage with no kinds is left out."""
    return [
        (name, [(c, n) for c, n in DOCUMENT_KINDS.items() if STAGE_OF_KIND.get(c) == stage])
        for stage, name in DOCUMENT_STAGES.items()
        if stage in STAGE_OF_KIND.values()
    ]
