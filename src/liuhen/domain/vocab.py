"""The closed vocabularies of a case, as stable English codes with their Chinese names.

The codes are what bundles, profiles and the database store; the Chinese names are what
people read. The JSON Schema of the case bundle lists the same codes (a test keeps them equal).
"""

from __future__ import annotations

PROCEDURES: dict[str, str] = {
    "general": "一般程序",
    "simple": "简易程序",
    "inspection": "行政检查",
    "coercion": "行政强制",
    "application": "依申请事项",
    "complaint": "投诉举报",
}

OUTCOMES: dict[str, str] = {
    "penalty": "给予行政处罚",
    "no_penalty": "不予行政处罚",
    "transfer": "移送",
    "rectified": "整改完毕",
    "not_opened": "不予启动",
    "granted": "准予",
    "refused": "不予准予",
    "closed": "办结",
}

PARTY_KINDS: dict[str, str] = {"person": "公民", "organisation": "法人或其他组织"}

CASE_FLAGS: dict[str, str] = {
    "complex_or_major": "情节复杂或者重大违法行为，拟给予较重的行政处罚",
    "major_public_interest": "涉及重大公共利益",
    "heard_major_rights": "直接关系当事人或者第三人重大权益，经过听证程序",
    "complex_legal_relations": "案件情况疑难复杂、涉及多个法律关系",
    "legal_review_by_law": "法律、法规规定应当进行法制审核",
    "expert_panel": "组织了专家论证",
    "hearing_requested": "当事人要求听证",
}

ACT_KINDS: dict[str, str] = {
    "inspection": "现场检查",
    "re_inspection": "整改复查",
    "rectification_order": "责令限期整改",
    "inquiry": "询问",
    "survey": "现场勘验",
    "sampling": "抽样取证",
    "evidence_collection": "调取证据",
    "preservation": "先行登记保存",
    "hearing": "听证",
    "statement": "听取陈述申辩",
    "seal_up": "查封",
    "seize": "扣押",
    "suspend": "责令停产停业、停止施工或者停止使用",
    "demolish": "强制拆除",
    "perform_on_behalf": "代履行",
    "restrict_freedom": "限制人身自由",
    "on_the_spot_penalty": "当场处罚",
    "application_acceptance": "受理申请",
    "other": "其他执法活动",
}

ACT_FLAGS: dict[str, str] = {
    "disputed": "现场执法容易引发争议或当事人有异议",
    "obstructed": "当事人逃避、拒绝、阻碍执法或者谩骂、侮辱、殴打执法人员",
    "mass_incident": "执法人员参与处置群体性事件、突发事件",
    "major_rights": "直接涉及人身自由、生命健康、重大财产权益",
    "explosive_area": "在易燃、易爆危险区域实施",
    "secrets": "涉及军事、商业、技术秘密",
    "privacy_without_consent": "涉及个人隐私且未经当事人同意",
    "problems_found": "检查中发现问题和隐患",
    "refused_investigation": "当事人或有关人员拒绝接受调查、提供证据",
}

AV_EXEMPTION_REASONS: dict[str, str] = {
    "explosive_area": "易燃易爆危险区域且无防爆音像记录设备",
    "secrets": "涉及军事、商业、技术秘密",
    "privacy": "涉及个人隐私且未经当事人同意",
    "text_sufficient": "文字记录能够全面有效记录执法行为",
    "other": "其他不适宜音像记录的情形",
}

DOCUMENT_KINDS: dict[str, str] = {
    "inquiry_record": "询问笔录",
    "inspection_record": "现场检查（勘验）笔录",
    "survey_record": "勘验笔录",
    "evidence_notice": "调取证据通知书",
    "preservation_notice": "先行登记保存证据通知书（决定书）",
    "preservation_list": "证据登记保存清单",
    "preservation_handling": "先行登记保存物品处理决定书",
    "sampling_list": "抽样取证通知书及物品清单",
    "rights_notice": "行政处罚事先告知书（权利告知书）",
    "statement_record": "陈述申辩笔录",
    "hearing_record": "听证笔录",
    "expert_opinion": "鉴定意见书",
    "expert_minutes": "专家论证会议纪要或专家意见书",
    "investigation_report": "案件调查终结报告",
    "draft_decision": "行政执法决定草案（审批表）",
    "penalty_opinion": "行政处罚意见书",
    "penalty_decision": "行政处罚决定书",
    "no_penalty_decision": "不予行政处罚决定书",
    "on_the_spot_decision": "当场行政处罚决定书",
    "simple_procedure_record": "简易程序记录",
    "rectification_order": "责令限期整改指令书",
    "re_inspection_opinion": "整改复查意见书",
    "coercion_decision": "强制措施决定书",
    "coercion_list": "查封、扣押清单",
    "enforcement_decision": "强制执行决定书",
    "demolition_notice": "强制拆除公告",
    "perform_on_behalf_decision": "代履行决定书",
    "electronic_service_consent": "电子送达确认书",
    "reminder": "催告书",
    "enforcement_application": "强制执行申请书",
    "execution_statement": "执行情况说明",
    "complaint_registration": "投诉举报登记表",
    "complaint_reply": "不予启动告知记录",
    "application_registration": "申请登记表",
    "acceptance_notice": "受理通知书",
    "rejection_notice": "不予受理通知书",
    "application_receipt": "申请材料接收凭证（回执）",
    "supplement_notice": "一次性补正告知书",
    "correction_record": "当场更正申请材料记录",
    "closing_report": "结案报告",
    "initiation_approval": "立案（程序启动）审批表",
    "hearing_notice": "听证通知书",
    "legal_review_opinion": "法制审核意见书",
    "collective_discussion_record": "集体讨论记录",
    "service_receipt": "送达回证",
    "other": "其他文书",
}

SIGNATURE_ROLES: dict[str, str] = {
    "officer": "执法人员",
    "party": "当事人",
    "witness": "见证人",
    "present_person": "在场人员",
    "recorder": "记录人",
    "recipient": "受送达人",
    "server": "送达人",
    "host": "主持人",
    "participant": "参加人",
    "handler": "承办人",
    "reviewer": "审核人",
    "legal_reviewer": "法制审核人员",
    "approver": "批准人",
    "expert": "鉴定人/专家",
}

SIGNATURE_METHODS: dict[str, str] = {"signature": "签名", "seal": "盖章", "fingerprint": "捺印"}

DEVICE_KINDS: dict[str, str] = {
    "body_camera": "执法记录仪",
    "camera": "照相机",
    "video_camera": "摄像机",
    "recorder": "录音机",
    "handheld_terminal": "手持执法终端",
    "surveillance": "视频监控",
}

PRECHECK_ITEMS: dict[str, str] = {"function": "设备性能", "battery": "电量", "storage": "储存空间"}

OPENING_ELEMENTS: dict[str, str] = {
    "time": "时间",
    "place": "地点",
    "officers": "执法人员",
    "reason": "执法事由",
    "target": "执法对象",
    "act": "执法行为",
    "stages": "需要记录的执法环节",
    "notice": "告知当事人及在场人员正在音像记录",
}

EXPLANATION_KINDS: dict[str, str] = {"voice": "语音说明", "written": "书面说明"}
INTERRUPTION_CAUSES: dict[str, str] = {
    "device_failure": "设备故障、损坏",
    "weather": "天气情况恶劣",
    "battery": "电量不足",
    "storage": "存储空间不足",
    "place_change": "检查场所变化",
    "obstruction": "现场人员阻挠",
    "other_objective": "其他客观原因",
    "non_technical": "非因技术原因（人为中止）",
}
"""Coded causes of an interruption (000§14, 003§15, 001§9, 004§9): only objective ones excuse it."""

RETENTION_TERMS: dict[str, str] = {
    "permanent": "永久",
    "30y": "30年",
    "10y": "10年",
    "case": "与案卷保存期限相同",
    "3y": "3年",
    "long_term": "长期保存",
}

APPROVAL_KINDS: dict[str, str] = {
    "initiation": "立案（程序启动）审批",
    "coercion": "行政强制措施审批",
    "preservation": "先行登记保存审批",
    "legal_review": "法制审核",
    "collective_discussion": "集体讨论",
    "expert_panel": "专家论证",
    "decision": "负责人审批（行政执法决定）",
    "closing": "结案审批",
    "access_request": "查阅/复制申请审批",
    "other": "其他内部审批",
}

STEP_ROLES: dict[str, str] = {"handler": "承办人", "reviewer": "审核人", "approver": "批准人"}

POSITIONS: dict[str, str] = {
    "officer": "执法人员",
    "unit_head": "承办机构负责人",
    "section_head": "执法科室负责人",
    "legal_reviewer": "法制审核人员",
    "legal_office_head": "法制科负责人",
    "head": "机关负责人",
    "principal_head": "主要负责人",
    "deputy_head": "分管负责人",
    "collective": "集体讨论（党组会/局长办公会）",
    "custodian": "档案/音像管理员",  # who asks for a disposal approval
}

SERVICE_MODES: dict[str, str] = {
    "direct": "直接送达",
    "mail": "邮寄送达",
    "lien": "留置送达",
    "entrusted": "委托送达",
    "transferred": "转交送达",
    "public_notice": "公告送达",
    "electronic": "电子送达",
}

MAIL_CARRIERS: dict[str, str] = {"ems": "中国邮政特快专递", "registered": "挂号信", "other": "其他"}

COLLECTION_GROUNDS: dict[str, str] = {
    "hard_to_enforce": "不当场收缴事后难以执行",
    "remote_area": "边远、水上、交通不便地区，当事人到银行或通过电子支付缴纳确有困难并提出",
}
"""Grounds for collecting a fine on the spot beyond one of 100 yuan or less (行政处罚法§68–§69)."""

EXECUTION_KINDS: dict[str, str] = {
    "performance": "履行情况记录",
    "fine_paid": "缴纳罚款",
    "restoration_done": "恢复原状（补种、恢复植被等）执行完毕",
    "party_statement": "当事人陈述、申辩",
    "statement_review": "陈述、申辩复核处理意见",
    "court_application": "申请人民法院强制执行",
    "court_result": "强制执行结果",
    "other": "其他执行情况",
}

SERVICE_RESULTS: dict[str, str] = {
    "delivered": "送达成功",
    "refused": "受送达人拒收",
    "absent": "受送达人不在",
    "address_unknown": "地址不详或查无此人",
    "returned": "邮件被退回",
    "failed": "其他原因未能送达",
}
"""The result of one service attempt (``services[].attempts``)."""

ACCESS_KINDS: dict[str, str] = {"view": "查阅", "copy": "复制", "disclosure": "公开"}

ACCESS_OUTCOMES: dict[str, str] = {"granted": "同意", "refused": "不同意", "pending": "待定"}

AV_CARRIERS: dict[str, str] = {"disc": "光盘等载体", "location": "书面载明存储位置"}

GATES: dict[str, str] = {
    "decide": "作出决定（制作决定书）",
    "close": "结案",
    "file": "归档移交",
}
"""The steps a case cannot take while the profile's blocking findings are open (a rule's
``blocks``), unless the agency's head overrides with a reason (``services/cases/gates``)."""

DECISION_DOCUMENTS: tuple[str, ...] = (
    "penalty_decision",
    "no_penalty_decision",
    "on_the_spot_decision",
    "coercion_decision",
)
"""The documents whose making is the decision of a case (the ``decide`` gate)."""

VOCABULARIES: dict[str, dict[str, str]] = {
    "procedure": PROCEDURES,
    "outcome": OUTCOMES,
    "party_kind": PARTY_KINDS,
    "case_flag": CASE_FLAGS,
    "act_kind": ACT_KINDS,
    "act_flag": ACT_FLAGS,
    "av_exemption_reason": AV_EXEMPTION_REASONS,
    "document_kind": DOCUMENT_KINDS,
    "signature_role": SIGNATURE_ROLES,
    "signature_method": SIGNATURE_METHODS,
    "device_kind": DEVICE_KINDS,
    "precheck_item": PRECHECK_ITEMS,
    "opening_element": OPENING_ELEMENTS,
    "explanation": EXPLANATION_KINDS,
    "interruption_cause": INTERRUPTION_CAUSES,
    "retention_term": RETENTION_TERMS,
    "approval_kind": APPROVAL_KINDS,
    "step_role": STEP_ROLES,
    "position": POSITIONS,
    "service_mode": SERVICE_MODES,
    "mail_carrier": MAIL_CARRIERS,
    "service_result": SERVICE_RESULTS,
    "collection_ground": COLLECTION_GROUNDS,
    "execution_kind": EXECUTION_KINDS,
    "access_kind": ACCESS_KINDS,
    "access_outcome": ACCESS_OUTCOMES,
    "av_carrier": AV_CARRIERS,
}
"""Every vocabulary by the name the bundle schema uses in ``$defs`` (``<name>`` enum)."""
