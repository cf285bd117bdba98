"""How field values are read from a form and written on a document, in one place.

Dates are written as 成文日期 are (GB/T 9704): Arabic numerals, "2026年3月5日"; times to the
minute as 笔录 write them, "9时05分"; money in figures and in capitals, as decisions state
amounts: "人民币伍仟元整（¥5,000.00）". Datetimes are shown in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "兆")


def local(moment: datetime) -> datetime:
    """``moment`` in Asia/Shanghai; a naive datetime is taken to be local time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ)


def parse_date(value: object) -> date | None:
    """A date from a ``date`` or an ISO string (``2026-03-05``); None when it is not one."""
    if isinstance(value, datetime):
        return local(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            moment = parse_datetime(text)
            return moment.date() if moment is not None and len(text) > 10 else None
    return None


def parse_datetime(value: object) -> datetime | None:
    """An aware datetime from a ``datetime`` or an ISO string (``2026-03-05 09:30``)."""
    if isinstance(value, datetime):
        return local(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) < 16:  # a date alone is not a time of day
            return None
        try:
            return local(datetime.fromisoformat(text))
        except ValueError:
            return None
    return None


def format_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def format_time(moment: datetime) -> str:
    return f"{moment.hour}时{moment.minute:02d}分"


def format_datetime(moment: datetime) -> str:
    moment = local(moment)
    return format_date(moment.date()) + format_time(moment)


def format_range(start: datetime, end: datetime) -> str:
    """``2026年3月6日9时10分至10时25分``; the end's date is repeated only when it differs."""
    start, end = local(start), local(end)
    if start.date() == end.date():
        return f"{format_datetime(start)}至{format_time(end)}"
    return f"{format_datetime(start)}至{format_datetime(end)}"


def parse_money(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _four_digits(n: int) -> str:
    """0 < n < 10000 in capitals, with 零 for inner gaps (1005 -> 壹仟零伍)."""
    out = ""
    zero = False
    for i in range(3, -1, -1):
        d = n // 10**i % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _SMALL_UNITS[i]
    return out


def rmb_upper(amount: Decimal | int | float | str) -> str:
    """An amount of yuan in financial capitals: 10050.5 -> 壹万零伍拾元伍角整."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        return "负" + rmb_upper(-value)
    yuan = int(value)
    jiao, fen = divmod(int((value - yuan) * 100), 10)
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    text = ""
    need_zero = False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            need_zero = bool(text)
            continue
        if text and (need_zero or g < 1000):
            text += "零"
        text += _four_digits(g) + _BIG_UNITS[i]
        need_zero = False
    if text:
        text += "元"
    if not jiao and not fen:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    else:
        text += "整"
    return text


def format_money(value: object) -> str:
    amount = parse_money(value)
    if amount is None:
        return str(value)
    figures = f"{amount.quantize(Decimal('0.01')):,}"
    return f"人民币{rmb_upper(amount)}（¥{figures}）"
