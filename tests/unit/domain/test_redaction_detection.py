"""Proposed redactions (services/access/detection.py) and the marks' own checks (domain/redaction.py):
checksummed identifiers only, the requester's own data never, names and addresses the case
knows, no overlapping proposals; a mark out of the text or without a reason is refused."""

from __future__ import annotations

from liuhen.domain.redaction import (
    BLOCK,
    Mark,
    Segment,
    find_spans,
    mark_problems,
    redact,
    text_digest,
)
from liuhen.services.access.detection import (
    Person,
    credit_code_ok,
    detect,
    first_generation_id_ok,
    persons_from,
    resident_id_ok,
)

THIRD_ID = "140102198001011234"  # check digit right
WRONG_CHECK = "140102198001011235"  # one digit off: not an ID number
BAD_DATE = "140102198013011236"  # month 13
REQUESTER_ID = "11010519491231002X"
UNKNOWN_REGION = "999999198001011233"  # stdnum's validate refuses the region; still an ID
CREDIT = "91350100M000100Y43"
CREDIT_LETTERS = "Y1140100MA0K00000E"  # registering authority Y: stdnum's validate refuses it


def covered(segments: list[Segment], marks: list[Mark]) -> list[tuple[str, str]]:
    known = {s.key: s for s in segments}
    return [(m.kind, m.covered(known)) for m in marks]


def test_identifiers_are_proposed_only_with_a_right_check_digit():
    text = (
        f"证人身份证号{THIRD_ID}，另记{WRONG_CHECK}、{BAD_DATE}；外省号码{UNKNOWN_REGION}。"
        f"供货单位代码{CREDIT}，合作社代码{CREDIT_LETTERS}，错码91350100M000100Y44。"
    )
    segments = [Segment("field.qa", "询问内容", text)]
    found = covered(segments, detect(segments, []))
    assert found == [
        ("resident_id", THIRD_ID),
        ("resident_id", UNKNOWN_REGION),
        ("credit_code", CREDIT),
        ("credit_code", CREDIT_LETTERS),
    ]
    assert resident_id_ok(THIRD_ID.lower()) and not resident_id_ok(WRONG_CHECK)
    assert credit_code_ok(CREDIT) and not credit_code_ok(CREDIT.replace("Y43", "Y44"))


OLD_ID = "140102800101123"  # 15 digits: 太原 南城区 (1983–1997), born 1980-01-01
OLD_REQUESTER_ID = "110105491231002"  # the requester's first card: REQUESTER_ID before 1999


def test_first_generation_ids_need_a_real_birth_date_and_a_known_region():
    text = (
        f"证人旧身份证号{OLD_ID}；申请人旧证{OLD_REQUESTER_ID}；"
        "账号999999800101123、日期错140102801301123、2月30日140102800230123、"
        "十六位1401028001011234、金额100000000000000元"
    )
    segments = [Segment("field.qa", "询问内容", text)]
    persons = [Person("王某", id_numbers=(REQUESTER_ID,), own=True)]
    assert covered(segments, detect(segments, persons)) == [("resident_id", OLD_ID)]
    assert first_generation_id_ok(OLD_ID) and first_generation_id_ok(OLD_REQUESTER_ID)
    assert not first_generation_id_ok("999999800101123")  # no such region
    assert not first_generation_id_ok("140102801301123")  # month 13


def test_phone_numbers_mobile_and_landline_but_not_parts_of_longer_numbers():
    text = (
        "电话13912345678，又称139-1234-5678；座机0351-7654321转(0351)7654321；"
        f"身份证{THIRD_ID}；金额1391234567800元；编号A13912345678B"
    )
    segments = [Segment("field.qa", "询问内容", text)]
    found = covered(segments, detect(segments, []))
    assert found == [
        ("phone", "13912345678"),
        ("phone", "139-1234-5678"),
        ("phone", "0351-7654321"),
        ("phone", "(0351)7654321"),
        ("resident_id", THIRD_ID),
    ]


def test_the_requesters_own_data_is_never_proposed():
    party = {
        "name": "王某",
        "id_number": REQUESTER_ID,
        "phone": "13800000000",
        "address": "老街1号",
    }
    records = [
        {
            "interviewee_name": "赵六",
            "interviewee_id_number": THIRD_ID,
            "interviewee_phone": "13912345678",
            "interviewee_address": "新村路8号",
            "party_name": "王某",
            "party_id_number": REQUESTER_ID,
        }
    ]
    requester = {"name": "王某", "id_number": REQUESTER_ID, "relation": "party"}
    persons = persons_from(party, records, requester)
    text = (
        f"问：当事人王某（身份证{REQUESTER_ID}，电话13800000000，住老街1号）与你什么关系？"
        f"答：我叫赵六，身份证{THIRD_ID}，电话13912345678，住新村路8号。"
    )
    segments = [Segment("field.qa", "询问内容", text), Segment("sign.1", "被询问人", "赵六")]
    found = covered(segments, detect(segments, persons))
    assert found == [
        ("name", "赵六"),
        ("resident_id", THIRD_ID),
        ("phone", "13912345678"),
        ("address", "新村路8号"),
        ("name", "赵六"),
    ]


def test_an_interested_person_does_not_see_the_partys_data():
    party = {"name": "王某", "id_number": REQUESTER_ID, "legal_representative": ""}
    requester = {"name": "钱七", "id_number": THIRD_ID, "relation": "interested"}
    persons = persons_from(party, [], requester)
    segments = [Segment("field.party", "当事人", f"王某 {REQUESTER_ID}；申请人钱七 {THIRD_ID}")]
    assert covered(segments, detect(segments, persons)) == [
        ("name", "王某"),
        ("resident_id", REQUESTER_ID),
    ]


def test_an_address_holding_a_name_is_one_mark():
    persons = [Person("李四", addresses=("李四家园3号楼",))]
    segments = [Segment("field.qa", "询问内容", "住李四家园3号楼的李四说")]
    assert covered(segments, detect(segments, persons)) == [
        ("address", "李四家园3号楼"),
        ("name", "李四"),
    ]


def test_redaction_replaces_each_span_with_a_numbered_block_in_reading_order():
    segments = [Segment("a", "甲", "赵六电话13912345678"), Segment("b", "乙", "赵六")]
    marks = [
        Mark("b", 0, 2, "name", "privacy", "第三人"),
        Mark("a", 4, 15, "phone", "privacy", "第三人"),
        Mark("a", 0, 2, "name", "privacy", "第三人"),
    ]
    assert mark_problems(segments, marks) == []
    assert redact(segments, marks) == {
        "a": f"{BLOCK}〔1〕电话{BLOCK}〔2〕",
        "b": f"{BLOCK}〔3〕",
    }
    assert find_spans(segments, "赵六") == [("a", 0, 2), ("b", 0, 2)]
    assert find_spans(segments, "赵六", "b") == [("b", 0, 2)]
    digest = text_digest("salt-1", "13912345678")
    assert len(digest) == 64 and digest != text_digest("salt-2", "13912345678")


def test_bad_marks_name_their_field():
    segments = [Segment("field.qa", "询问内容", "赵六")]
    problems = mark_problems(
        segments,
        [
            Mark("field.qa", 0, 2, "name", "privacy", ""),
            Mark("field.qa", 1, 9, "name", "privacy", "第三人"),
            Mark("field.nope", 0, 1, "name", "privacy", "第三人"),
            Mark("field.qa", 0, 1, "face", "secret", "第三人"),
        ],
    )
    assert problems == [
        "marks[1].reason: 第 1 处遮盖须写明理由",
        "marks[2].end: 第 2 处遮盖的范围（1–9）超出“询问内容”的文字（共 2 字）",
        "marks[3].segment: 第 3 处遮盖所在的位置不是本文书的内容",
        "marks[4].kind: 第 4 处遮盖请选择内容类别（居民身份证号码、统一社会信用代码、电话号码、姓名、住址、其他）",
        "marks[4].ground: 第 4 处遮盖请选择法定理由（个人隐私、商业秘密、国家秘密）",
        "marks[4].start: 第 4 处遮盖与第 1 处重叠，请合并为一处",
    ]
