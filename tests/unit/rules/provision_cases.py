"""Case builders for tests/unit/rules/test_provisions.py: each varies one fact of a complete
sample case the way a provision's text turns on it (the complete cases satisfy every profile)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.samples import ALL_ELEMENTS, DEVICES, SIGNED, add, at, av, change, drop, edit, sha
from tests.unit.rules.test_rules_catalogue import (
    application,
    g,
    simple,
    with_access,
    with_enforcement,
    with_service,
)

from liuhen.domain.av import Interruption, OpeningStatement, Retention, Segment
from liuhen.domain.case import (
    AccessDecision,
    AccessRequest,
    Act,
    Application,
    AVExemption,
    Correction,
    LienEvidence,
    MailEvidence,
    PublicNoticeEvidence,
    Receipt,
    TextRecord,
    Trip,
)


def late_opening(seconds: int):
    """The opening statement of AV1 (09:00) made ``seconds`` into the recording (000§13,
    003§14 "先语音说明……然后进行不间断记录")."""
    start = at("2026-09-14 09:00")
    statement = OpeningStatement(start + timedelta(seconds=seconds), ALL_ELEMENTS)
    return edit(g(), "av_records", "AV1", opening_statement=statement)


def interrupted(
    *,
    explained_by: str | None,
    cause: str | None = None,
    resumed: bool = False,
    stopped_early: bool = False,
):
    """AV1 of the 09:00–09:40 inspection stops: at 09:39 for good (the default), at 09:15
    resuming at 09:20 (``resumed``), or at 09:30 for good (``stopped_early``)."""
    if resumed:
        segments = (
            Segment(at("2026-09-14 09:00"), at("2026-09-14 09:15"), sha("s1")),
            Segment(at("2026-09-14 09:20"), at("2026-09-14 09:40"), sha("s2")),
        )
        stop = Interruption(
            at("2026-09-14 09:15"), "中止", at("2026-09-14 09:20"), explained_by, cause=cause
        )
        return edit(g(), "av_records", "AV1", segments=segments, interruptions=(stop,))
    when = at("2026-09-14 09:30") if stopped_early else at("2026-09-14 09:39")
    stop = Interruption(when, "设备突发故障，无法恢复", None, explained_by, cause=cause)
    c = edit(g(), "av_records", "AV1", interruptions=(stop,))
    if stopped_early:
        segment = Segment(at("2026-09-14 09:00"), when, sha("s1"))
        c = edit(c, "av_records", "AV1", segments=(segment,))
    return c


def stored_after(when: str):
    """AV1 (recorded 2026-09-14, a Monday) stored at ``when``."""
    return edit(g(), "av_records", "AV1", stored_at=at(when))


def remote_upload(stored: str):
    """The inspection was remote work (异地执法); the officers returned on Sunday 2026-09-20
    10:00 and stored AV1 at ``stored`` (001§10: 24 hours after returning; 003§17: 2 working
    days after returning to the town)."""
    c = on_a_trip(g(), "acts", "A1")
    return edit(c, "av_records", "AV1", stored_at=at(stored))


def on_a_trip(case, collection: str, item_id: str, *, record: str | None = None):
    """``case`` with the trip T1 (out on 2026-09-14 07:00, back on Sunday 2026-09-20 10:00)
    that the item ``item_id`` of ``collection`` (or, with ``record``, AV ``record`` on its
    own) belongs to (000§16, 001§10, 003§17 ¶2)."""
    trip = Trip("T1", at("2026-09-14 07:00"), at("2026-09-20 10:00"), "外乡镇", ("O1", "O2"))
    case = add(case, "trips", trip)
    if record is not None:
        return edit(case, "av_records", record, trip_id="T1")
    return edit(case, collection, item_id, trip_id="T1")


def view_by(by: str, position: str = "officer", *, authorised: bool = False):
    """The party's request to view its inspection record, granted by ``by`` (``position``)."""
    decision = AccessDecision("granted", by, position, authorised, at("2026-10-30 10:00"))
    request = AccessRequest("R1", "view", at("2026-10-29 10:00"), "王某", ("T1",), decision)
    return add(g(), "access_requests", request)


def copy_by(position: str):
    return with_access("copy", position)


def exempted(reason: str, *, text: bool, proof_device: bool = True):
    """The inspection A1 made without audio-video, exempted for ``reason`` with an explanation;
    ``text``: its text record T1 kept; ``proof_device``: the case lists the explosion-proof
    camera D2 (004§6(一))."""
    flags = frozenset({"explosive_area"}) if reason == "explosive_area" else frozenset()
    c = edit(
        drop(g(), "av_records", "AV1"),
        "acts",
        "A1",
        av_exemption=AVExemption(reason, "现场情况已由笔录全面记录"),
        flags=flags,
    )
    if not text:
        c = drop(c, "text_records", "T1")
    if not proof_device:
        c = change(c, devices=DEVICES[:1])
    return c


def advised_simple(*, disputed: bool):
    """The on-the-spot penalty made without audio-video; ``disputed``: the party disputed it
    (002§22 应, 004§24 可)."""
    c = edit(drop(simple(), "av_records", "AV1"), "acts", "A1", flags=frozenset())
    if disputed:
        c = edit(c, "acts", "A1", flags=frozenset({"disputed"}))
    return c


def service_av(mode: str, with_av: bool):
    """The rights notice T3 served again (S9) by lien or public notice, with or without
    audio-video of the service (002§25, §27; 004§27, §29)."""
    evidence = (
        {
            "receipt": Receipt(server_signed=True),
            "lien": LienEvidence("拒绝签收", date(2026, 9, 17), "村委会主任", True, True),
        }
        if mode == "lien"
        else {
            "public_notice": PublicNoticeEvidence(
                "下落不明，直接、邮寄均无法送达", "政府公告栏", at("2026-09-17 10:00"), True, True
            )
        }
    )
    c = with_service(mode, av_record_ids=("AV9",) if with_av else (), **evidence)
    if with_av:
        c = add(c, "av_records", av("AV9", at("2026-09-17 09:55"), 10, service_id="S9"))
    return c


def mailed_reminder(*, mode: str):
    """The 催告书 (S3) served without audio-video: in person (``direct``) or by post (``mail``,
    its registration, postage proof and return receipt kept: 002§29 "音像记录等方式")."""
    c = drop(with_enforcement(), "av_records", "AV5")
    c = edit(c, "services", "S3", av_record_ids=())
    if mode == "mail":
        mail = MailEvidence("ems", "EA123456789CN", True, True, True)
        c = edit(c, "services", "S3", mode="mail", mail=mail)
    return c


def unrecorded_act(kind: str, *, av_made: bool, document: str | None = "survey_record"):
    """A further act of ``kind`` on 2026-09-16 (A9), with its ``document`` (T9) and, when
    ``av_made``, its audio-video (AV9)."""
    act = Act(
        "A9",
        kind,
        at("2026-09-16 10:00"),
        at("2026-09-16 10:30"),
        "厂区",
        ("O1", "O2"),
        True,
    )
    c = add(g(), "acts", act)
    if document is not None:
        record = TextRecord(
            "T9",
            document,
            at("2026-09-16 10:30"),
            "A9",
            started_at=at("2026-09-16 10:00"),
            ended_at=at("2026-09-16 10:30"),
            officer_ids=("O1", "O2"),
            certificates_shown=True,
            signatures=SIGNED,
            sealed=True,
        )
        c = add(c, "text_records", record)
    if av_made:
        c = add(c, "av_records", av("AV9", at("2026-09-16 10:00"), 30, act_id="A9"))
    return c


def decided_after_notice(served: str, decided: str):
    """The rights notice T3 (with the right to a hearing) served at ``served``, the penalty
    decision T7 made at ``decided`` (行政处罚法§64(一): a hearing is asked for within five
    days of the notice; §85: working days)."""
    c = edit(g(), "text_records", "T3", made_at=at(served) - timedelta(hours=1))
    c = edit(c, "services", "S1", served_at=at(served))
    return edit(c, "text_records", "T7", made_at=at(decided))


def catalogued(*without: str):
    """The case file's catalogue without the records ``without`` (001§11, 002§31, 004§35: the
    whole process record forms the case file)."""
    c = g()
    listed = tuple(i for i in c.case_file.catalogue if i not in without)
    return g(case_file=change(c.case_file, catalogue=listed))


def corrected_on_the_spot(*, recorded: bool):
    """An application whose materials were corrected on the spot (002§8 当场更正申请材料中的错误),
    with or without the record of the correction."""
    fix = Correction(at("2026-10-10 10:05"), ("申请人身份证号",), "T9" if recorded else None)
    c = change(application(), application=Application(True, True, True, (fix,)))
    if recorded:
        record = TextRecord("T9", "correction_record", at("2026-10-10 10:05"), "A1")
        c = add(c, "text_records", record)
    return c


def served_on_a_trip(stored: str, *, remote: bool = True):
    """The rights notice served in person on a trip (S1, filmed as AV3 on 2026-09-16), the
    officers back on Sunday 2026-09-20 10:00, AV3 stored at ``stored`` (003§17 ¶2 and 001§10:
    every record made on the trip, services and their AV too, counts from the return)."""
    c = on_a_trip(g(), "services", "S1") if remote else g()
    return edit(c, "av_records", "AV3", stored_at=at(stored))


def disputed_footage_kept(term: str):
    """The party disputed the inspection (001§14: such footage is kept long-term); AV1 is kept
    for ``term``."""
    c = edit(g(), "acts", "A1", flags=frozenset({"disputed"}))
    return edit(c, "av_records", "AV1", retention=Retention(term, "当事人对现场执法有异议"))
