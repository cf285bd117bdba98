"""Case and document numbers allocated per agency, kind and year from the agency's 字号
(案号 for cases; 文号 for the document kinds the catalogue numbers). The head edits a 字号
(each change a new version on the ledger) and may let users type numbers themselves; a
number is allocated in the transaction that saves its case or document, from a counter the
database moves (``store/number_rows.py``); a typed or imported number is registered so it is
not issued again; a number withdrawn or skipped keeps its row with the reason (作废登记)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from liuhen.documents.catalogue import default_catalogue
from liuhen.domain.numbering import CASE_KIND, Style, default_style, parse
from liuhen.errors import InvalidInput
from liuhen.ledger.events import Actor
from liuhen.services.cases.queries import numbering as q
from liuhen.services.permissions import require
from liuhen.store.number_rows import next_serial, raise_counter
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

MANAGE = "numbering.manage"
WORD_MAX = 30
REASON_MAX = 500


@cache
def kinds() -> dict[str, tuple[str, str]]:
    """kind -> (name, default code): the case's 案号, then each numbered document kind."""
    found = {CASE_KIND: ("案件编号（案号）", "立")}
    for kind in default_catalogue():
        if kind.numbered:
            found[kind.code] = (kind.title, kind.number_code or kind.title[:1])
    return found


def year_of(moment: datetime, tz: tzinfo | str) -> int:
    """The year a number belongs to: of its moment in the agency's time zone."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(zone).year


def _known(kind: str) -> tuple[str, str]:
    try:
        return kinds()[kind]
    except KeyError:
        raise InvalidInput("编号种类有误", details=[f"kind: 没有编号种类「{kind}」"]) from None


def style_in(conn: Any, agency_id: str, kind: str) -> Style:
    """The 字号 of ``kind`` in force for the agency (its default when the head set none)."""
    row = q.style_row(conn, agency_id, kind) or {"name": "", "word": None}
    if row["word"] is not None:
        return Style(row["word"], bool(row["di"]), bool(row["manual"]), int(row["version"]))
    return default_style(str(row["name"]), _known(kind)[1])


def preview(store: Store, agency_id: str, kind: str, moment: datetime) -> tuple[str, Style]:
    """The number the next ``kind`` saved now would get (shown on the form, not reserved),
    and the 字号 it comes from (whether a number may be typed)."""
    year = year_of(moment, store.settings.tz)
    with store.read() as conn:
        style = style_in(conn, agency_id, kind)
        last = q.counters(conn, agency_id, year).get(kind, 0)
    return style.format(year, last + 1), style


def typing_allowed(store: Store, agency_id: str, kind: str) -> bool:
    """Whether users may type a ``kind`` number themselves (the head's choice); a kind
    LiuHen does not number (a 笔录's optional reference) may always be typed."""
    if kind not in kinds():
        return True
    with store.read() as conn:
        return style_in(conn, agency_id, kind).manual


def allocate(
    tx: Tx,
    *,
    agency_id: str,
    kind: str,
    moment: datetime,
    tz: tzinfo | str,
    subject: tuple[str, str],
) -> str:
    """The next number of (agency, kind, year), issued to ``subject`` (type, id) in ``tx``:
    the counter's upsert orders concurrent writers; the unique index is the last word."""
    year = year_of(moment, tz)
    style = style_in(tx.conn, agency_id, kind)
    serial = next_serial(tx.conn, agency_id, kind, year)
    number = style.format(year, serial)
    _insert(tx, agency_id, kind, year, serial, number, subject, manual=False)
    return number


def register(
    tx: Tx,
    *,
    agency_id: str,
    kind: str,
    number: str,
    moment: datetime,
    tz: tzinfo | str,
    subject: tuple[str, str],
    imported: bool = False,
) -> None:
    """Record a typed (``imported``: a bundle's) number as issued; one of the 字号 in force
    takes its serial and moves the counter past it. A typed number whose serial is taken
    meets the unique index (one message); an imported one then keeps its number without a
    serial, as does a number of another 字号 (its text is still unique)."""
    parsed = parse(number)
    year = parsed.year if parsed else year_of(moment, tz)
    serial = parsed.serial if parsed else None
    if parsed and parsed.word != style_in(tx.conn, agency_id, kind).word:
        serial = None  # another 字号's number: its text is its own, it takes no serial
    if serial is not None:
        if imported and q.serial_taken(tx.conn, agency_id, kind, year, serial):
            serial = None
        else:
            raise_counter(tx.conn, agency_id, kind, year, serial)
    _insert(tx, agency_id, kind, year, serial, number.strip(), subject, manual=True)


def note_imported(tx: Tx, *, agency_id: str, kind: str, number: str) -> None:
    """Move the counter past an imported document's number (its record keeps the number)."""
    parsed = parse(number)
    if (
        parsed is not None
        and kind in kinds()
        and parsed.word == style_in(tx.conn, agency_id, kind).word
    ):
        raise_counter(tx.conn, agency_id, kind, parsed.year, parsed.serial)


def _insert(
    tx: Tx,
    agency_id: str,
    kind: str,
    year: int,
    serial: int | None,
    number: str,
    subject: tuple[str, str],
    *,
    manual: bool,
) -> None:
    tx.insert(
        "issued_numbers",
        {
            "id": new_id(),
            "agency_id": agency_id,
            "kind": kind,
            "year": year,
            "serial": serial,
            "number": number,
            "subject_type": subject[0],
            "subject_id": subject[1],
            "manual": manual,
            "created_by": tx.actor.id or "system",
            "created_at": tx.clock(),
        },
    )


def managed_agency(actor: Actor) -> str:
    require(actor, MANAGE)
    if not actor.agency_id:
        raise InvalidInput("您的账号未关联执法机关", details=["agency: 账号未关联执法机关"])
    return actor.agency_id


def set_style(store: Store, actor: Actor, *, kind: str, word: str, di: bool, manual: bool) -> int:
    """The head's new 字号 for ``kind``: a new version (two saving at once: one wins)."""
    agency_id = managed_agency(actor)
    name = _known(kind)[0]
    word = word.strip()
    problems = []
    if not word or len(word) > WORD_MAX or "〔" in word or any(ch.isdigit() for ch in word):
        problems.append(f"word: 字号应为不含年份和数字的机关代字（1–{WORD_MAX} 字），如 某林罚决字")
    if problems:
        raise InvalidInput(f"{name}的字号有误", details=problems)
    with store.transaction(actor) as tx:
        version = style_in(tx.conn, agency_id, kind).version + 1
        tx.insert(
            "number_styles",
            {
                "id": new_id(),
                "agency_id": agency_id,
                "kind": kind,
                "version": version,
                "word": word,
                "di": di,
                "manual": manual,
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            "numbering.style_set",
            subject_type="agency",
            subject_id=agency_id,
            payload={"kind": kind, "word": word, "di": di, "manual": manual, "version": version},
        )
    return version


def void_number(
    store: Store, actor: Actor, *, kind: str, year: int, serial: int, reason: str
) -> None:
    """作废登记: withdraw a number issued with serial ``serial`` of ``year`` (the case or
    document keeps it as saved; the register shows it 已作废 with the reason, the ledger
    names it and what it was issued to), or explain a serial never issued (空号)."""
    agency_id = managed_agency(actor)
    _known(kind)
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(
            "作废登记有误", details=[f"reason: 请填写作废或空号的原因（{REASON_MAX} 字以内）"]
        )
    with store.transaction(actor) as tx:
        last = q.counters(tx.conn, agency_id, year).get(kind, 0)
        if not 1 <= serial <= last:
            raise InvalidInput("作废登记有误", details=[f"serial: {year} 年尚未编到第 {serial} 号"])
        issued = q.issued_serial(tx.conn, agency_id, kind, year, serial)
        tx.insert(
            "number_voids",
            {
                "id": new_id(),
                "agency_id": agency_id,
                "kind": kind,
                "year": year,
                "serial": serial,
                "reason": reason,
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            "numbering.voided",
            subject_type="agency",
            subject_id=agency_id,
            payload={"kind": kind, "year": year, "serial": serial, "reason": reason}
            | ({"number": issued["number"], "subject": issued["subject_id"]} if issued else {}),
        )


def note_bundle(
    tx: Tx, agency_id: str, case_id: str, data: dict[str, object], tz: tzinfo | str
) -> None:
    """An imported case keeps its numbers: its 案号 registered, the counters of its
    documents' 文号 moved past them (neither is issued again)."""
    case = data["case"]
    assert isinstance(case, dict)
    number = str(case.get("number", case["id"]))
    opened = datetime.fromisoformat(str(case["opened_at"]))
    where = {"agency_id": agency_id, "kind": CASE_KIND, "moment": opened, "tz": tz}
    register(tx, number=number, subject=("case", case_id), imported=True, **where)  # type: ignore[arg-type]
    for record in data.get("text_records", []) or []:  # type: ignore[attr-defined]
        if record.get("number"):
            note_imported(
                tx, agency_id=agency_id, kind=str(record.get("kind")), number=record["number"]
            )


def issue_for_record(
    store: Store, actor: Actor, *, agency_id: str, kind: str, case_id: str, moment: datetime
) -> tuple[str, str]:
    """A 文号 for a document about to be saved: (number, the record id it is issued to).
    Issued in a transaction of its own, since the document is rendered with it before its
    record is written; ``withdraw`` explains it when the record is then not saved."""
    record_id = new_id()
    with store.transaction(actor) as tx:
        where = {"agency_id": agency_id, "kind": kind, "moment": moment}
        number = allocate(tx, **where, tz=store.settings.tz, subject=("record", record_id))  # type: ignore[arg-type]
        tx.record(
            "numbering.issued",
            subject_type="record",
            subject_id=record_id,
            case_id=case_id,
            payload={"kind": kind, "number": number},
        )
    return number, record_id


def withdraw(
    store: Store, actor: Actor, *, agency_id: str, kind: str, number: str, why: str
) -> None:
    """作废 an issued 文号 whose document was not saved, with the reason (no head needed)."""
    parsed = parse(number)
    assert parsed is not None, number
    with store.transaction(actor) as tx:
        tx.insert(
            "number_voids",
            {
                "id": new_id(),
                "agency_id": agency_id,
                "kind": kind,
                "year": parsed.year,
                "serial": parsed.serial,
                "reason": f"文书未保存：{why}"[:REASON_MAX],
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            "numbering.voided",
            subject_type="agency",
            subject_id=agency_id,
            payload={"kind": kind, "number": number, "reason": why[:REASON_MAX]},
        )
