"""A believable filled document of every kind, for tests, previews and the demo.

Two cases run through the samples. The township case (示范镇人民政府, 综合行政执法队):
李建华 keeps a fruit stall on the pavement of 新华街 (占道经营) — inspection, 立案, inquiry,
evidence, notice, statement, legal review, decision, 留置送达, reminder, closing; plus a
简易程序 decision for dumping rubbish. The forestry case (示范县林业局): 张富贵 fells 46
poplars without a licence (滥伐林木, 森林法§56, §76) — survey, sampling, appraisal, seizure,
hearing, collective discussion, penalty opinion, court enforcement, replanting; plus an
inspection of a logging company with an order to rectify and the re-inspection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from liuhen.documents.model import FilledDocument, OfficerPresent, Signature
from liuhen.documents.values import TZ

TOWN = "示范镇人民政府"
FOREST = "示范县林业局"
TOWN_OFFICERS = (
    OfficerPresent("张建国", "14010020230001"),
    OfficerPresent("李明", "14010020230002"),
)
FOREST_OFFICERS = (
    OfficerPresent("杨树林", "14010120220031"),
    OfficerPresent("马国栋", "14010120220035"),
)
TOWN_REMEDY = (
    "如不服本决定，可以在收到本决定书之日起六十日内向示范县人民政府申请行政复议，"
    "也可以在六个月内直接向示范县人民法院提起行政诉讼。"
)
FOREST_REMEDY = (
    "如不服本决定，可以在收到本决定书之日起六十日内向示范县人民政府申请行政复议，"
    "也可以在六个月内向示范县人民法院提起行政诉讼。"
)
LI = {
    "party_name": "李建华",
    "party_id_number": "140121198507153216",
    "party_address": "山西省示范县示范镇新华街45号",
}
ZHANG = {
    "party_name": "张富贵",
    "party_id_number": "140121196803124517",
    "party_address": "山西省示范县东山乡石门村二组12号",
}
HONGLIN = {
    "party_name": "示范县宏林木业有限公司",
    "party_id_number": "91140121MA0KQ7XP3D",
    "party_address": "山西省示范县东山乡林场路8号",
}
TOWN_CAUSE = "李建华占道经营案"
FOREST_CAUSE = "张富贵滥伐林木案"


def at(text: str) -> datetime:
    """A Beijing time from ``2026-03-05 09:20``."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def iso(text: str) -> str:
    """A datetime field value as bundles store it: ISO 8601 with the +08:00 offset."""
    return at(text).isoformat(timespec="minutes")


def signed(role: str, name: str, when: str | None = None, **kw: object) -> Signature:
    return Signature(role, name, at(when) if when else None, **kw)  # type: ignore[arg-type]


def officers_signed(
    officers: tuple[OfficerPresent, ...], when: str, role: str = "officer"
) -> list[Signature]:
    return [signed(role, o.name, when) for o in officers]


# ─────────────────────────────── 示范镇：占道经营 ───────────────────────────────


def _initiation_approval() -> FilledDocument:
    return FilledDocument(
        "initiation_approval",
        "示镇综执立审〔2026〕8号",
        TOWN,
        {
            "cause": TOWN_CAUSE,
            "case_source": "inspection",
            "found_at": iso("2026-03-05 09:20"),
            **LI,
            "party_phone": "13903541234",
            "summary": (
                "2026年3月5日，执法人员在日常巡查中发现，当事人李建华在示范镇新华街与人民路交叉口"
                "东北角人行道上摆放货架、搭设遮阳棚经营水果，占用人行道约12平方米。经查，当事人"
                "未经批准，自2026年3月2日起在该处经营。3月3日社区工作人员已劝离，当事人仍未改正。\n"
                "当事人的行为涉嫌违反《城市市容和环境卫生管理条例》第十四条的规定，"
                "符合立案条件，建议立案调查。"
            ),
            "handler_opinion": "建议立案，由张建国、李明承办。",
            "unit_opinion": "同意立案调查。",
            "legal_opinion": "符合立案条件，案由、管辖无误。",
            "head_opinion": "同意立案。",
        },
        signatures=(
            signed("handler", "张建国", "2026-03-05 11:00"),
            signed("handler", "李明", "2026-03-05 11:00"),
            signed("reviewer", "赵振华", "2026-03-05 14:30"),
            signed("legal_reviewer", "王芳", "2026-03-05 15:10"),
            signed("approver", "刘志强", "2026-03-05 16:00"),
        ),
        officers=TOWN_OFFICERS,
    )


def _inspection_record() -> FilledDocument:
    return FilledDocument(
        "inspection_record",
        "示镇综执检〔2026〕31号",
        TOWN,
        {
            "cause": "",
            "started_at": iso("2026-03-05 09:20"),
            "ended_at": iso("2026-03-05 09:50"),
            "place": "示范镇新华街与人民路交叉口东北角人行道",
            **LI,
            "present_person": "李建华（当事人本人）",
            "inspectors": ["张建国", "李明"],
            "recorder": "李明",
            "identity_notice": (
                "执法人员张建国、李明二人向当事人出示了执法证件，告知当事人依法享有陈述、申辩和"
                "申请回避的权利，当事人表示听清楚了，不申请回避。"
            ),
            "recording_notice": True,
            "findings": (
                "现场人行道上摆放铁制货架2个、蓝色遮阳棚1顶、塑料周转筐15个，摆放苹果、香蕉、"
                "橘子等水果对外销售。经现场丈量，货物及设施占用人行道长约4米、宽约3米，面积约"
                "12平方米，行人需绕行至非机动车道通行。当事人无法出示有关部门的占道审批手续。"
            ),
            "attachments": "现场照片6张；执法记录仪（编号 SF-ZFY-003）录像1段，时长30分钟。",
            "party_opinion": "",
        },
        signatures=(
            signed(
                "party",
                "李建华",
                refused=True,
                refusal_reason="称“摆个摊不算违法”，拒绝在笔录上签名",
                witness="周桂兰（新华街社区居委会委员）",
            ),
            *officers_signed(TOWN_OFFICERS, "2026-03-05 09:55"),
            signed("recorder", "李明", "2026-03-05 09:55"),
            signed("witness", "周桂兰", "2026-03-05 09:58"),
        ),
        officers=TOWN_OFFICERS,
        certificates_shown=True,
    )


def _inquiry_record() -> FilledDocument:
    qa = "\n".join(
        [
            "问：我们是示范镇综合行政执法队的执法人员，这是我们的执法证件，请你过目。你看清楚了吗？",
            "答：看清楚了。",
            "问：今天依法就你在新华街人行道上经营水果的情况向你了解，你应当如实回答。你有申请"
            "回避、陈述和申辩的权利，对与本案无关的问题有拒绝回答的权利。你是否申请执法人员回避？",
            "答：不申请。",
            "问：本次询问全程录音录像，你清楚吗？",
            "答：清楚。",
            "问：3月5日上午在新华街与人民路交叉口东北角人行道上摆放货架卖水果的是不是你？",
            "答：是我。",
            "问：你从什么时候开始在那里摆摊？",
            "答：3月2日开始的，每天早上8点到晚上7点左右。",
            "问：你在人行道上摆摊是否经过有关部门批准？",
            "答：没有批准，我以为在自家店门口摆一下没事。",
            "问：3月3日社区工作人员是否劝你把货架搬走？",
            "答：劝过，我当时答应了，后来看人多又摆出来了。",
            "问：你还有什么需要补充的吗？",
            "答：没有了，我以后不在人行道上摆了。",
        ]
    )
    return FilledDocument(
        "inquiry_record",
        "",
        TOWN,
        {
            "cause": TOWN_CAUSE,
            "started_at": iso("2026-03-06 09:10"),
            "ended_at": iso("2026-03-06 10:25"),
            "place": "示范镇综合行政执法队询问室",
            "inquirers": ["张建国", "李明"],
            "recorder": "李明",
            "interviewee_name": "李建华",
            "interviewee_gender": "male",
            "interviewee_id_number": LI["party_id_number"],
            "interviewee_phone": "13903541234",
            "interviewee_address": LI["party_address"],
            "interviewee_work": "建华水果店经营者",
            "interviewee_relation": "当事人",
            "party_name": "李建华",
            "identity_notice": (
                "执法人员张建国（执法证号14010020230001）、李明（执法证号14010020230002）"
                "二人出示执法证件，告知被询问人申请回避、陈述和申辩的权利及如实回答的义务。"
            ),
            "recording_notice": True,
            "qa": qa,
            "closing": "以上笔录我已看过，与我说的相符。",
        },
        signatures=(
            signed("party", "李建华", "2026-03-06 10:30", method="fingerprint"),
            *officers_signed(TOWN_OFFICERS, "2026-03-06 10:32"),
            signed("recorder", "李明", "2026-03-06 10:32"),
        ),
        officers=TOWN_OFFICERS,
        certificates_shown=True,
    )


def _evidence_notice() -> FilledDocument:
    return FilledDocument(
        "evidence_notice",
        "示镇综执调证〔2026〕4号",
        TOWN,
        {
            "addressee": "示范镇新华街社区居民委员会",
            "cause": TOWN_CAUSE,
            "legal_basis": "《中华人民共和国行政处罚法》第五十五条",
            "evidence_list": (
                "1. 新华街与人民路交叉口公共视频监控2026年3月2日至3月5日每日8时至19时的录像（复制件，刻录光盘）；\n"
                "2. 2026年3月3日社区工作人员劝离当事人的工作记录（复印件，加盖社区印章）。"
            ),
            "deadline": "2026-03-11",
            "delivery_place": "示范镇综合行政执法队（示范镇人民政府院内一层102室）",
            "contact": "张建国 0354-6012345",
            "issued_on": "2026-03-06",
        },
        signatures=(
            signed("party", "周桂兰", "2026-03-06 15:20"),
            *officers_signed(TOWN_OFFICERS, "2026-03-06 15:20"),
        ),
        officers=TOWN_OFFICERS,
    )


def _preservation_notice() -> FilledDocument:
    return FilledDocument(
        "preservation_notice",
        "示镇综执先保〔2026〕3号",
        TOWN,
        {
            **LI,
            "reason": (
                "当事人在人行道上经营所用的货架、遮阳棚等物品是证明违法行为的物证，当事人表示"
                "当天将撤走，证据可能灭失或者以后难以取得。"
            ),
            "object": "铁制货架2个、蓝色遮阳棚1顶、塑料周转筐15个（详见证据登记保存清单）。",
            "form": "先行登记保存，并拍照、录像固定。",
            "legal_basis": "《中华人民共和国行政处罚法》第五十六条",
            "approval": "经本机关负责人刘志强于2026年3月5日批准",
            "storage_place": "示范镇综合行政执法队物品保管室",
            "period": (
                "本机关将在七日内（工作日）作出处理决定。在此期间，当事人或者有关人员不得损毁、"
                "销毁或者转移证据。"
            ),
            "issued_on": "2026-03-05",
        },
        officers=TOWN_OFFICERS,
    )


def _preservation_list() -> FilledDocument:
    return FilledDocument(
        "preservation_list",
        "",
        TOWN,
        {
            "party_name": LI["party_name"],
            "party_address": LI["party_address"],
            "decision_number": "示镇综执先保〔2026〕3号",
            "items": (
                "1. 铁制货架，长1.5米、宽0.6米、高1.2米，2个，八成新；\n"
                "2. 遮阳棚，蓝色帆布，3米×3米，1顶，完好；\n"
                "3. 塑料周转筐，红色，15个，完好。"
            ),
            "storage_method": "off_site",
            "storage_place": "示范镇综合行政执法队物品保管室",
            "registered_at": iso("2026-03-05 10:10"),
            "handle_by": "2026-03-16",
        },
        signatures=(
            signed("party", "李建华", "2026-03-05 10:20"),
            *officers_signed(TOWN_OFFICERS, "2026-03-05 10:20"),
        ),
        officers=TOWN_OFFICERS,
    )


def _rights_notice() -> FilledDocument:
    return FilledDocument(
        "rights_notice",
        "示镇综执罚告〔2026〕12号",
        TOWN,
        {
            **LI,
            "facts": (
                "你自2026年3月2日起，未经批准在示范镇新华街与人民路交叉口东北角人行道上摆放货架、"
                "搭设遮阳棚经营水果，占用人行道约12平方米，经社区劝离后仍未改正。"
            ),
            "evidence": "现场检查笔录、询问笔录、现场照片6张、执法记录仪录像、社区监控录像及劝离记录。",
            "legal_basis": (
                "你的行为违反了《城市市容和环境卫生管理条例》第十四条的规定。依据该条例第三十六条"
                "第（二）项的规定，本机关拟对你作出行政处罚。"
            ),
            "proposed_penalty": "责令立即改正，并处罚款人民币伍佰元整。",
            "rights": ["statement", "defence", "recusal", "hearing"],
            "statement_deadline": (
                "你可以在收到本告知书之日起五日（工作日）内向本机关提出陈述、申辩，或者要求举行听证；"
                "逾期未提出的，视为放弃上述权利。"
            ),
            "notice_method": "书面告知，直接送达",
            "contact": "张建国 0354-6012345",
            "issued_on": "2026-03-10",
        },
        officers=TOWN_OFFICERS,
    )


def _statement_record() -> FilledDocument:
    return FilledDocument(
        "statement_record",
        "",
        TOWN,
        {
            "cause": TOWN_CAUSE,
            "started_at": iso("2026-03-12 14:30"),
            "ended_at": iso("2026-03-12 15:05"),
            "place": "示范镇综合行政执法队办公室",
            "party_name": LI["party_name"],
            "party_id_number": LI["party_id_number"],
            "speaker": "李建华",
            "officers": ["张建国", "李明"],
            "recorder": "李明",
            "statement": (
                "我承认在人行道上摆摊卖水果，当时店里地方小才摆出来的。今年生意不好，请求免予罚款。"
                "货架和遮阳棚已经搬回店里，以后不再占道。"
            ),
            "evidence_submitted": "无",
            "review": (
                "经复核，当事人占道经营的事实清楚，经劝离后仍继续经营；其已改正的情节已在拟处罚"
                "数额中考虑，拟处罚款为该类违法行为的较低数额。对免予罚款的请求不予采纳。"
            ),
            "closing": "以上笔录我已看过，与我说的相符。",
        },
        signatures=(
            signed("party", "李建华", "2026-03-12 15:08"),
            *officers_signed(TOWN_OFFICERS, "2026-03-12 15:10"),
            signed("recorder", "李明", "2026-03-12 15:10"),
        ),
        officers=TOWN_OFFICERS,
        certificates_shown=True,
    )


def _investigation_report() -> FilledDocument:
    return FilledDocument(
        "investigation_report",
        "",
        TOWN,
        {
            "cause": TOWN_CAUSE,
            **LI,
            "investigation": (
                "2026年3月5日巡查发现并立案；当日制作现场检查笔录，对货架等物品先行登记保存；"
                "3月6日询问当事人，向新华街社区调取监控录像和劝离记录。"
            ),
            "facts": "当事人自2026年3月2日起未经批准在新华街人行道上摆放货架经营水果，占道约12平方米。",
            "evidence": "现场检查笔录、询问笔录、照片6张、执法记录仪录像、社区监控录像、劝离记录。",
            "legal_basis": "违反《城市市容和环境卫生管理条例》第十四条，依据第三十六条第（二）项处罚。",
            "discretion": "首次被查处，已主动改正，占道面积较小，依照本镇裁量基准属一般情节。",
            "proposal": "建议责令改正，并处罚款人民币伍佰元整。",
        },
        signatures=tuple(officers_signed(TOWN_OFFICERS, "2026-03-09 16:00", role="handler")),
        officers=TOWN_OFFICERS,
    )


def _draft_decision() -> FilledDocument:
    return FilledDocument(
        "draft_decision",
        "",
        TOWN,
        {
            "cause": TOWN_CAUSE,
            "party_name": "李建华",
            "drafter": "张建国",
            "reviewer": "赵振华",
            "proposed_decision": "对李建华作出责令改正，并处罚款人民币伍佰元整的行政处罚。",
            "legal_basis": "《城市市容和环境卫生管理条例》第十四条、第三十六条第（二）项。",
            "evidence": "现场检查笔录、询问笔录、照片、执法记录仪录像、社区监控录像、陈述申辩笔录。",
            "factors": "首次违法，已主动改正；陈述申辩意见已复核，不予采纳免罚请求。",
            "legal_review_summary": "法制审核同意（示镇综执法审〔2026〕6号）。",
            "head_opinion": "同意按拟定意见作出处罚决定。",
        },
        signatures=(
            signed("handler", "张建国", "2026-03-13 10:00"),
            signed("reviewer", "赵振华", "2026-03-13 15:00"),
            signed("approver", "刘志强", "2026-03-17 09:30"),
        ),
        officers=TOWN_OFFICERS,
    )


def _legal_review_opinion() -> FilledDocument:
    return FilledDocument(
        "legal_review_opinion",
        "示镇综执法审〔2026〕6号",
        TOWN,
        {
            "cause": TOWN_CAUSE,
            "party_name": "李建华",
            "submitted_by": "示范镇综合行政执法队",
            "submitted_on": "2026-03-13",
            "materials": "立案审批表、现场检查笔录、询问笔录、证据材料、事先告知书及送达回证、陈述申辩笔录、决定审批表。",
            "review_items": (
                "执法主体和权限：示范镇人民政府依法承接城市市容管理行政处罚权，主体适格；"
                "执法人员均持有效执法证件；程序：立案、调查、告知、陈述申辩复核符合规定；"
                "事实清楚，证据确实充分；适用法律正确，裁量适当；文书齐全规范；不涉嫌犯罪。"
            ),
            "conclusion": "agree",
            "opinion": "同意承办机构的处理意见，可以作出行政处罚决定。",
            "reviewed_on": "2026-03-16",
        },
        signatures=(signed("legal_reviewer", "王芳", "2026-03-16 16:00"),),
        officers=TOWN_OFFICERS,
    )


def _penalty_decision() -> FilledDocument:
    return FilledDocument(
        "penalty_decision",
        "示镇综执罚〔2026〕12号",
        TOWN,
        {
            **LI,
            "facts": (
                "经查，你自2026年3月2日起，未经批准在示范镇新华街与人民路交叉口东北角人行道上"
                "摆放铁制货架2个、搭设遮阳棚1顶经营水果，占用人行道约12平方米，影响行人通行。"
                "3月3日社区工作人员劝离后，你仍继续占道经营，至3月5日被本机关执法人员查获。"
            ),
            "evidence": (
                "以上事实有现场检查笔录、询问笔录、现场照片6张、执法记录仪录像、新华街社区"
                "监控录像及劝离记录等证据证实。"
            ),
            "reasons": (
                "本机关于2026年3月10日向你送达了《行政处罚事先告知书》。你在陈述申辩中请求免予罚款，"
                "经复核，你的违法事实清楚，经劝离仍不改正，不符合免予处罚的条件，不予采纳；"
                "鉴于你系首次违法并已主动改正，依照本镇行政处罚裁量基准从轻处罚。"
            ),
            "legal_basis": (
                "你的行为违反了《城市市容和环境卫生管理条例》第十四条的规定。依据该条例第三十六条"
                "第（二）项的规定，本机关决定对你作出如下行政处罚。"
            ),
            "penalty_kind": "1. 责令立即改正占道经营行为；\n2. 罚款人民币伍佰元整。",
            "fine_amount": 500,
            "performance": (
                "自收到本决定书之日起十五日内，持本决定书到中国农业银行示范县支行各营业网点缴纳罚款，"
                "或者通过山西省非税收入电子缴款平台缴纳。"
            ),
            "overdue": (
                "到期不缴纳罚款的，本机关将每日按罚款数额的百分之三加处罚款，加处罚款的数额不超出"
                "罚款的数额，并依法申请人民法院强制执行。"
            ),
            "remedy_channels": TOWN_REMEDY,
            "agency_name": TOWN,
            "decision_date": "2026-03-18",
        },
        officers=TOWN_OFFICERS,
        sealed=True,
    )


def _service_receipt() -> FilledDocument:
    return FilledDocument(
        "service_receipt",
        "",
        TOWN,
        {
            "document_title": "行政处罚决定书",
            "document_number": "示镇综执罚〔2026〕12号",
            "recipient_name": "李建华",
            "service_place": "山西省示范县示范镇新华街45号（建华水果店）",
            "service_mode": "lien",
            "served_at": iso("2026-03-19 10:15"),
            "receiver_relation": "",
            "lien_record": (
                "受送达人李建华拒绝签收，称“不服处罚”。送达人邀请新华街社区居委会委员周桂兰到场见证，"
                "说明情况后将决定书留置于建华水果店收银台上，全过程由执法记录仪 SF-ZFY-003 录像。"
            ),
            "notes": "留置送达。",
        },
        signatures=(
            signed(
                "recipient",
                "李建华",
                refused=True,
                refusal_reason="称“不服处罚”，拒绝签收",
                witness="周桂兰（新华街社区居委会委员）",
            ),
            signed("witness", "周桂兰", "2026-03-19 10:20"),
            signed("server", "张建国", "2026-03-19 10:20"),
            signed("server", "李明", "2026-03-19 10:20"),
        ),
        officers=TOWN_OFFICERS,
    )


def _reminder() -> FilledDocument:
    return FilledDocument(
        "reminder",
        "示镇综执催告〔2026〕2号",
        TOWN,
        {
            **LI,
            "decision_ref": (
                "本机关于2026年3月18日作出《行政处罚决定书》（示镇综执罚〔2026〕12号），"
                "于2026年3月19日留置送达。决定对你罚款人民币伍佰元整，你至今未缴纳。"
            ),
            "deadline": "2026-04-24",
            "method": "到中国农业银行示范县支行各营业网点或者通过山西省非税收入电子缴款平台缴纳。",
            "amount": "罚款人民币伍佰元整，以及截至缴纳之日按日加处的罚款（不超过伍佰元）。",
            "surcharge": 500,
            "statement_rights": "你有权进行陈述和申辩，可在收到本催告书之日起三日内向本机关提出。",
            "consequence": "逾期仍不履行且无正当理由的，本机关将依法申请人民法院强制执行。",
            "contact": "张建国 0354-6012345",
            "issued_on": "2026-04-10",
        },
        officers=TOWN_OFFICERS,
        sealed=True,
    )


def _closing_report() -> FilledDocument:
    return FilledDocument(
        "closing_report",
        "示镇综执结审〔2026〕9号",
        TOWN,
        {
            "cause": TOWN_CAUSE,
            "party_name": "李建华",
            "opened_on": "2026-03-05",
            "decision_ref": "示镇综执罚〔2026〕12号",
            "decision_summary": "责令改正，并处罚款人民币伍佰元整。",
            "execution": (
                "当事人已于2026年3月6日自行改正；经催告，于2026年4月16日缴纳罚款人民币伍佰元整"
                "及加处罚款人民币壹佰伍拾元整（缴款凭证号 1401210426000387）。先行登记保存的物品已于"
                "2026年3月16日解除保存并退还当事人。"
            ),
            "closing_reason": "行政处罚决定已执行完毕。",
            "handler_opinion": "建议结案。",
            "unit_opinion": "同意结案。",
            "head_opinion": "同意结案归档。",
            "closed_on": "2026-04-20",
        },
        signatures=(
            *officers_signed(TOWN_OFFICERS, "2026-04-20 09:00", role="handler"),
            signed("reviewer", "赵振华", "2026-04-20 10:00"),
            signed("approver", "刘志强", "2026-04-20 11:00"),
        ),
        officers=TOWN_OFFICERS,
    )


def _on_the_spot_decision() -> FilledDocument:
    return FilledDocument(
        "on_the_spot_decision",
        "示镇综执当罚〔2026〕21号",
        TOWN,
        {
            "party_name": "王小军",
            "party_id_number": "140121199204086613",
            "party_address": "山西省示范县示范镇东关村三组7号",
            "time": iso("2026-03-20 15:30"),
            "place": "示范镇中心广场东侧绿化带",
            "violation": "当事人将一袋生活垃圾倾倒在中心广场东侧绿化带内，经执法人员当场查获。",
            "legal_basis": "违反《城市市容和环境卫生管理条例》第三十二条，依据第三十四条第（一）项。",
            "penalty_kind": "罚款",
            "amount": 50,
            "performance": "当场缴纳，执法人员出具山西省财政厅统一制发的罚款收据。",
            "remedy_channels": TOWN_REMEDY,
            "officers": ["张建国", "李明"],
            "agency_name": TOWN,
            "issued_on": "2026-03-20",
        },
        signatures=(
            signed("party", "王小军", "2026-03-20 15:45"),
            *officers_signed(TOWN_OFFICERS, "2026-03-20 15:45"),
        ),
        officers=TOWN_OFFICERS,
        certificates_shown=True,
        sealed=True,
    )


# ─────────────────────────────── 示范县林业局：滥伐林木 ───────────────────────────────


def _survey_record() -> FilledDocument:
    return FilledDocument(
        "survey_record",
        "",
        FOREST,
        {
            "cause": FOREST_CAUSE,
            "started_at": iso("2026-04-09 09:00"),
            "ended_at": iso("2026-04-09 11:40"),
            "place": "示范县东山乡石门村后沟集体林地（12林班3小班）",
            "weather": "晴",
            "party_name": ZHANG["party_name"],
            "party_id_number": ZHANG["party_id_number"],
            "surveyors": ["杨树林", "马国栋"],
            "invited_persons": "石门村村委会主任 赵春生",
            "recorder": "马国栋",
            "identity_notice": "勘验人员杨树林、马国栋出示执法证件，告知当事人有申请回避的权利，当事人不申请回避。",
            "recording_notice": True,
            "survey": (
                "采伐地点位于石门村后沟阳坡，GPS坐标 北纬37°52′14″、东经112°33′08″。现场有新鲜伐桩46个，"
                "树种均为杨树，伐桩直径18至32厘米，逐一用油漆编号1—46并测量记录（见附表）。"
                "采伐迹地面积约0.4公顷，现场堆放原木52根，未见采伐许可证标牌。"
            ),
            "attachments": "伐桩检尺记录表1份、现场示意图1张、照片24张、执法记录仪录像2段。",
        },
        signatures=(
            signed("party", "张富贵", "2026-04-09 11:50"),
            *officers_signed(FOREST_OFFICERS, "2026-04-09 11:50"),
            signed("witness", "赵春生", "2026-04-09 11:52"),
            signed("recorder", "马国栋", "2026-04-09 11:50"),
        ),
        officers=FOREST_OFFICERS,
        certificates_shown=True,
    )


def _sampling_list() -> FilledDocument:
    return FilledDocument(
        "sampling_list",
        "示林抽样〔2026〕3号",
        FOREST,
        {
            "party_name": ZHANG["party_name"],
            "party_address": ZHANG["party_address"],
            "sampled_at": iso("2026-04-09 11:00"),
            "place": "示范县东山乡石门村后沟集体林地（12林班3小班）",
            "legal_basis": "《中华人民共和国行政处罚法》第五十六条",
            "samplers": ["杨树林", "马国栋"],
            "samples": (
                "1. 伐桩圆盘，编号7号伐桩，直径24厘米，厚5厘米，1块；\n"
                "2. 伐桩圆盘，编号19号伐桩，直径31厘米，厚5厘米，1块；\n"
                "3. 伐桩圆盘，编号38号伐桩，直径18厘米，厚5厘米，1块。"
            ),
            "sample_base": "伐桩46个",
            "method": "按大、中、小径级随机抽取，当场编号、封存",
            "handling": "封存后送山西省示范林业调查规划院鉴定树种和树龄",
        },
        signatures=(
            signed("party", "张富贵", "2026-04-09 11:20"),
            *officers_signed(FOREST_OFFICERS, "2026-04-09 11:20"),
        ),
        officers=FOREST_OFFICERS,
        certificates_shown=True,
    )


def _expert_opinion() -> FilledDocument:
    return FilledDocument(
        "expert_opinion",
        "晋示林鉴〔2026〕17号",
        FOREST,
        {
            "appraiser_org": "山西省示范林业调查规划院",
            "qualification": "林业调查规划设计甲级 晋林资〔2024〕第0087号",
            "entrusted_by": FOREST,
            "entrusted_on": "2026-04-10",
            "cause": FOREST_CAUSE,
            "matter": "鉴定石门村后沟12林班3小班被采伐林木的树种、株数、立木蓄积和价值。",
            "materials": "勘验笔录、伐桩检尺记录表、伐桩圆盘样品3块、现场照片24张。",
            "method": "依据《立木材积表》（LY/T 1353）以伐桩直径推算胸径，计算立木蓄积；价值按2026年示范县杨树立木市场均价计算。",
            "opinion": (
                "被采伐林木为杨树46株，立木蓄积12.6立方米，按每立方米伍佰元计，林木价值人民币"
                "陆仟叁佰元整。"
            ),
            "issued_on": "2026-04-20",
        },
        signatures=(
            signed("expert", "冯志远", "2026-04-20 16:00"),
            signed("expert", "高秀梅", "2026-04-20 16:00"),
        ),
        officers=FOREST_OFFICERS,
    )


def _coercion_decision() -> FilledDocument:
    return FilledDocument(
        "coercion_decision",
        "示林强决〔2026〕2号",
        FOREST,
        {
            **ZHANG,
            "measure": "seize",
            "reason": (
                "你涉嫌未取得林木采伐许可证采伐杨树46株，现场原木及采伐工具是证明违法行为的物证。"
                "依据《中华人民共和国森林法》第六十七条第（三）项、《中华人民共和国行政强制法》"
                "第二十二条、第二十三条的规定，决定予以扣押，扣押期限为三十日（自2026年4月9日至2026年5月8日）。"
            ),
            "items": "杨树原木52根（约10.8立方米）、汽油油锯1台（详见扣押清单）。",
            "storage_place": "示范县林业局东山林业站院内",
            "remedy_channels": FOREST_REMEDY,
            "agency_name": FOREST,
            "decision_date": "2026-04-09",
        },
        officers=FOREST_OFFICERS,
        sealed=True,
    )


def _coercion_list() -> FilledDocument:
    return FilledDocument(
        "coercion_list",
        "",
        FOREST,
        {
            "party_name": ZHANG["party_name"],
            "decision_number": "示林强决〔2026〕2号",
            "items": (
                "1. 杨树原木，长2米，小头直径12至26厘米，52根，约10.8立方米；\n"
                "2. 汽油油锯，富世华牌372XP型，1台，可正常使用。"
            ),
            "storage_place": "示范县林业局东山林业站院内",
            "made_at": iso("2026-04-09 14:00"),
        },
        signatures=(
            signed("party", "张富贵", "2026-04-09 14:30"),
            *officers_signed(FOREST_OFFICERS, "2026-04-09 14:30"),
            signed("witness", "赵春生", "2026-04-09 14:30"),
        ),
        officers=FOREST_OFFICERS,
    )


def _hearing_notice() -> FilledDocument:
    return FilledDocument(
        "hearing_notice",
        "示林听通〔2026〕2号",
        FOREST,
        {
            "party_name": ZHANG["party_name"],
            "party_address": ZHANG["party_address"],
            "cause": FOREST_CAUSE,
            "hearing_at": iso("2026-05-12 09:00"),
            "hearing_place": "示范县林业局三楼会议室",
            "host": "孙丽萍",
            "hearing_officers": "韩卫平",
            "hearing_recorder": "刘晓燕",
            "public": "public",
            "party_rights": (
                "你可以亲自参加听证，也可以委托一至二人代理；认为主持人与本案有直接利害关系的，"
                "有权申请回避；可以进行申辩和质证。请携带身份证件及有关证据准时参加，无正当理由"
                "拒不出席听证的，视为放弃听证权利。"
            ),
            "contact": "杨树林 0354-6023456",
            "issued_on": "2026-04-30",
        },
        officers=FOREST_OFFICERS,
        sealed=True,
    )


def _hearing_record() -> FilledDocument:
    return FilledDocument(
        "hearing_record",
        "",
        FOREST,
        {
            "cause": FOREST_CAUSE,
            "started_at": iso("2026-05-12 09:00"),
            "ended_at": iso("2026-05-12 10:40"),
            "place": "示范县林业局三楼会议室",
            "public": "public",
            "host": "孙丽萍",
            "hearing_officers": "韩卫平",
            "recorder": "刘晓燕",
            "investigators": ["杨树林", "马国栋"],
            "party_name": ZHANG["party_name"],
            "party_attendees": "张富贵（当事人）；委托代理人张小龙（当事人之子）",
            "recusal": "当事人不申请回避",
            "investigators_statement": (
                "调查人员杨树林陈述：当事人未取得林木采伐许可证，于2026年4月上旬在石门村后沟采伐杨树46株，"
                "立木蓄积12.6立方米，价值6300元。证据有勘验笔录、鉴定意见书、询问笔录等。建议责令补种"
                "138株，并处林木价值三倍罚款18900元。"
            ),
            "party_defence": (
                "当事人称林木系自家承包地所种，不知道采伐需要办证；对株数和蓄积无异议，"
                "请求减轻罚款。代理人提交林地承包经营权证复印件1份。"
            ),
            "final_statements": "当事人：愿意补种，请求从轻处罚。调查人员：坚持原处罚建议。",
        },
        signatures=(
            signed("party", "张富贵", "2026-05-12 10:50"),
            signed("host", "孙丽萍", "2026-05-12 10:55"),
            signed("recorder", "刘晓燕", "2026-05-12 10:55"),
            *officers_signed(FOREST_OFFICERS, "2026-05-12 10:55"),
        ),
        officers=FOREST_OFFICERS,
    )


def _expert_minutes() -> FilledDocument:
    return FilledDocument(
        "expert_minutes",
        "",
        FOREST,
        {
            "cause": FOREST_CAUSE,
            "held_at": iso("2026-05-14 14:30"),
            "place": "示范县林业局二楼会议室",
            "host": "韩卫平",
            "experts": (
                "冯志远，山西省示范林业调查规划院，高级工程师；\n"
                "高秀梅，山西省示范林业调查规划院，工程师；\n"
                "程立新，示范县东山林场，高级工程师。"
            ),
            "topic": "滥伐林木补种的地点、树种、株数和验收标准。",
            "discussion": "专家查看了勘验图和现场照片，认为原地立地条件适宜杨树生长，可原地补种。",
            "opinion": (
                "建议在原采伐迹地补种二年生杨树苗138株，株行距3米×3米，2026年11月30日前完成，"
                "次年成活率不低于85%。"
            ),
            "recorder": "刘晓燕",
        },
        signatures=(
            signed("expert", "冯志远", "2026-05-14 16:00"),
            signed("expert", "高秀梅", "2026-05-14 16:00"),
            signed("expert", "程立新", "2026-05-14 16:00"),
            signed("host", "韩卫平", "2026-05-14 16:05"),
            signed("recorder", "刘晓燕", "2026-05-14 16:05"),
        ),
        officers=FOREST_OFFICERS,
    )


def _collective_discussion_record() -> FilledDocument:
    return FilledDocument(
        "collective_discussion_record",
        "",
        FOREST,
        {
            "cause": FOREST_CAUSE,
            "started_at": iso("2026-05-18 15:00"),
            "ended_at": iso("2026-05-18 16:10"),
            "place": "示范县林业局党组会议室",
            "host": "郭振东",
            "attendees": "郭振东（局长）、李国华（副局长）、韩卫平（森林资源管理股股长）、孙丽萍（法规股股长）",
            "observers": "杨树林、马国栋（案件承办人）",
            "recorder": "刘晓燕",
            "party_name": ZHANG["party_name"],
            "case_report": "承办人杨树林汇报了案件调查、鉴定、听证情况及处罚建议。",
            "discussion": (
                "李国华：事实清楚，当事人有补种意愿，可在法定幅度内从轻。\n"
                "韩卫平：同意补种138株的意见。\n"
                "孙丽萍：法制审核认为程序合法，罚款按林木价值三倍为法定最低倍数。\n"
                "郭振东：同意以上意见。"
            ),
            "decision": "责令张富贵在原地补种杨树138株，并处滥伐林木价值三倍罚款人民币壹万捌仟玖佰元整。",
            "reasons": (
                "当事人滥伐林木事实清楚、证据确凿，依据《中华人民共和国森林法》第七十六条第二款，"
                "考虑其初次违法、积极配合调查并愿意补种，按法定最低倍数处罚。"
            ),
        },
        signatures=(
            signed("host", "郭振东", "2026-05-18 16:15"),
            signed("participant", "李国华", "2026-05-18 16:15"),
            signed("participant", "韩卫平", "2026-05-18 16:15"),
            signed("participant", "孙丽萍", "2026-05-18 16:15"),
            signed("recorder", "刘晓燕", "2026-05-18 16:15"),
        ),
        officers=FOREST_OFFICERS,
    )


def _penalty_opinion() -> FilledDocument:
    return FilledDocument(
        "penalty_opinion",
        "",
        FOREST,
        {
            "cause": FOREST_CAUSE,
            **ZHANG,
            "facts": "当事人未取得林木采伐许可证，于2026年4月上旬采伐石门村后沟自家承包林地内杨树46株，立木蓄积12.6立方米。",
            "evidence": "勘验笔录、询问笔录、抽样取证清单、鉴定意见书、听证笔录。",
            "legal_basis": "《中华人民共和国森林法》第五十六条第一款、第七十六条第二款。",
            "discretion": "初次违法，配合调查，愿意补种，按法定最低倍数处罚。",
            "proposed_penalty": "责令在原地补种杨树138株；处滥伐林木价值三倍罚款人民币壹万捌仟玖佰元整。",
            "unit_opinion": "同意承办人意见，提请局长审批。",
            "head_opinion": "提交局党组会集体讨论。",
        },
        signatures=(
            *officers_signed(FOREST_OFFICERS, "2026-05-13 10:00", role="handler"),
            signed("reviewer", "韩卫平", "2026-05-13 15:00"),
            signed("approver", "郭振东", "2026-05-14 09:00"),
        ),
        officers=FOREST_OFFICERS,
    )


def _rectification_order() -> FilledDocument:
    return FilledDocument(
        "rectification_order",
        "示林责改〔2026〕7号",
        FOREST,
        {
            **HONGLIN,
            "problems": (
                "2026年6月2日检查发现，你单位在东山林场15林班采伐作业区：1. 未按规定设置防火隔离带；"
                "2. 采伐迹地内采伐剩余物约30立方米未清理。"
            ),
            "legal_basis": "《森林防火条例》第二十四条，《中华人民共和国森林法实施条例》及林木采伐许可证载明的作业要求。",
            "requirements": "1. 在作业区周边开设宽度不少于10米的防火隔离带；\n2. 清理采伐剩余物，集中堆放并覆土。",
            "deadline": "2026-06-20",
            "consequence": "逾期不整改的，本局将依法处理，并暂停核发林木采伐许可证。",
            "contact": "马国栋 0354-6023457",
            "issued_on": "2026-06-02",
        },
        signatures=(
            signed("party", "王宏林", "2026-06-02 11:30"),
            *officers_signed(FOREST_OFFICERS, "2026-06-02 11:30"),
        ),
        officers=FOREST_OFFICERS,
        sealed=True,
    )


def _re_inspection_opinion() -> FilledDocument:
    return FilledDocument(
        "re_inspection_opinion",
        "示林复查〔2026〕7号",
        FOREST,
        {
            "party_name": HONGLIN["party_name"],
            "party_address": HONGLIN["party_address"],
            "order_number": "示林责改〔2026〕7号",
            "inspected_at": iso("2026-06-21 09:30"),
            "inspectors": ["杨树林", "马国栋"],
            "rectification_status": "作业区周边已开设宽12米的防火隔离带；采伐剩余物已清理，集中堆放于迹地东侧并覆土。",
            "conclusion": "整改合格",
            "further_measures": "纳入日常巡查。",
            "issued_on": "2026-06-21",
        },
        signatures=(
            signed("party", "王宏林", "2026-06-21 10:30"),
            *officers_signed(FOREST_OFFICERS, "2026-06-21 10:30"),
        ),
        officers=FOREST_OFFICERS,
        certificates_shown=True,
    )


def _enforcement_application() -> FilledDocument:
    return FilledDocument(
        "enforcement_application",
        "示林执申〔2026〕1号",
        FOREST,
        {
            "court": "示范县人民法院",
            "applicant": "示范县林业局，住所地示范县迎宾路16号",
            "applicant_head": "郭振东，局长",
            **ZHANG,
            "requested": "请求强制执行示林罚决〔2026〕5号行政处罚决定书确定的罚款人民币壹万捌仟玖佰元整及加处罚款。",
            "decision": (
                "本局于2026年5月20日作出示林罚决〔2026〕5号行政处罚决定：被执行人未取得林木采伐许可证"
                "采伐杨树46株，违反《中华人民共和国森林法》第五十六条，依据第七十六条第二款责令补种138株，"
                "并处罚款18900元。决定书于2026年5月21日直接送达。"
            ),
            "party_opinion": (
                "被执行人在法定期限内未申请行政复议，也未提起行政诉讼。本局于2026年11月25日送达催告书"
                "（示林催告〔2026〕4号），被执行人未提出陈述申辩，催告期满仍未缴纳罚款。"
            ),
            "object": "罚款人民币壹万捌仟玖佰元整，加处罚款人民币壹万捌仟玖佰元整，合计叁万柒仟捌佰元整。补种义务已履行完毕。",
            "attachments": "1. 行政处罚决定书及送达回证；\n2. 催告书及送达回证；\n3. 案件主要证据材料。",
            "issued_on": "2027-01-06",
        },
        signatures=(signed("approver", "郭振东", "2027-01-06 10:00"),),
        officers=FOREST_OFFICERS,
        sealed=True,
    )


def _execution_statement() -> FilledDocument:
    return FilledDocument(
        "execution_statement",
        "",
        FOREST,
        {
            "cause": FOREST_CAUSE,
            "party_name": ZHANG["party_name"],
            "decision_ref": "示林罚决〔2026〕5号",
            "obligations": "在原地补种杨树138株；缴纳罚款人民币壹万捌仟玖佰元整。",
            "execution": (
                "当事人于2026年10月28日至30日在石门村后沟原采伐迹地补种二年生杨树苗138株，"
                "株行距3米×3米。2026年11月5日经杨树林、马国栋现场验收，补种株数、地点符合决定要求。"
                "罚款未缴纳，已另行催告。"
            ),
            "made_on": "2026-11-05",
        },
        signatures=(*officers_signed(FOREST_OFFICERS, "2026-11-05 16:00"),),
        officers=FOREST_OFFICERS,
    )


SAMPLES: dict[str, Callable[[], FilledDocument]] = {
    "initiation_approval": _initiation_approval,
    "inquiry_record": _inquiry_record,
    "inspection_record": _inspection_record,
    "survey_record": _survey_record,
    "evidence_notice": _evidence_notice,
    "preservation_notice": _preservation_notice,
    "preservation_list": _preservation_list,
    "sampling_list": _sampling_list,
    "expert_opinion": _expert_opinion,
    "coercion_decision": _coercion_decision,
    "coercion_list": _coercion_list,
    "rights_notice": _rights_notice,
    "statement_record": _statement_record,
    "hearing_notice": _hearing_notice,
    "hearing_record": _hearing_record,
    "investigation_report": _investigation_report,
    "legal_review_opinion": _legal_review_opinion,
    "expert_minutes": _expert_minutes,
    "collective_discussion_record": _collective_discussion_record,
    "penalty_opinion": _penalty_opinion,
    "draft_decision": _draft_decision,
    "penalty_decision": _penalty_decision,
    "on_the_spot_decision": _on_the_spot_decision,
    "rectification_order": _rectification_order,
    "service_receipt": _service_receipt,
    "reminder": _reminder,
    "enforcement_application": _enforcement_application,
    "execution_statement": _execution_statement,
    "re_inspection_opinion": _re_inspection_opinion,
    "closing_report": _closing_report,
}


def sample_document(kind_code: str) -> FilledDocument:
    """A complete, valid filled document of ``kind_code`` (KeyError for an unknown code)."""
    return SAMPLES[kind_code]()
