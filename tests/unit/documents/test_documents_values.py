"""How values are written on documents: 成文日期 in Arabic numerals, times to the minute,
money in figures and financial capitals (大写), Beijing time whatever zone was stored."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from liuhen.documents.values import (
    format_date,
    format_datetime,
    format_money,
    format_range,
    parse_date,
    parse_datetime,
    rmb_upper,
)


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        (0, "零元整"),
        (5, "伍元整"),
        (10, "壹拾元整"),
        (500, "伍佰元整"),
        (1005, "壹仟零伍元整"),
        (1010, "壹仟零壹拾元整"),
        (6300, "陆仟叁佰元整"),
        (18900, "壹万捌仟玖佰元整"),
        (100100, "壹拾万零壹佰元整"),
        (1000001, "壹佰万零壹元整"),
        (100010000, "壹亿零壹万元整"),
        ("10050.5", "壹万零伍拾元伍角整"),
        ("1.05", "壹元零伍分"),
        ("0.05", "伍分"),
        ("120000.34", "壹拾贰万元叁角肆分"),
    ],
)
def test_amounts_in_financial_capitals(amount: object, capitals: str) -> None:
    assert rmb_upper(amount) == capitals  # type: ignore[arg-type]


def test_money_is_written_in_capitals_and_figures() -> None:
    assert format_money(18900) == "人民币壹万捌仟玖佰元整（¥18,900.00）"
    assert format_money("500") == "人民币伍佰元整（¥500.00）"


def test_dates_and_times_as_documents_write_them() -> None:
    assert format_date(date(2026, 3, 5)) == "2026年3月5日"
    moment = datetime(2026, 3, 6, 1, 5, tzinfo=UTC)  # 09:05 in Beijing
    assert format_datetime(moment) == "2026年3月6日9时05分"
    start, end = parse_datetime("2026-03-06 09:10"), parse_datetime("2026-03-06T10:25+08:00")
    assert start and end
    assert format_range(start, end) == "2026年3月6日9时10分至10时25分"
    later = parse_datetime("2026-03-07 08:00")
    assert later and format_range(start, later) == "2026年3月6日9时10分至2026年3月7日8时00分"


def test_parsing_is_strict_about_what_is_a_date_and_what_is_a_time() -> None:
    assert parse_date("2026-03-05") == date(2026, 3, 5)
    assert parse_date("2026-02-30") is None
    assert parse_date("3月5日") is None
    assert parse_datetime("2026-03-05") is None  # a day is not a time of day
    assert parse_datetime("2026-03-05 25:00") is None
    naive = parse_datetime(datetime(2026, 3, 5, 9, 0))
    assert naive is not None and naive.utcoffset() is not None
