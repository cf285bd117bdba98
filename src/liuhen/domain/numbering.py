"""Case and document numbers (案号, 文号): an agency's 字号 per kind of number, a number made
from it (GB/T 9704-2012 §7.2.5: 机关代字〔年份〕序号号, the year in 六角括号, no leading
zeros; 第 where the agency writes it), and a typed or imported number read back to its year
and serial. Pure: the allocation itself is the database's (``store/number_rows.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

CASE_KIND = "case"
"""The kind of number a case carries (案号); a document's is its catalogue kind."""

_BRACKETS = (("[", "]"), ("【", "】"), ("(", ")"), ("（", "）"), ("［", "］"))
_NUMBER = re.compile(r"^(?P<word>\S.*?)〔(?P<year>\d{4})〕\s*(?P<di>第?)\s*(?P<serial>\d+)\s*号$")
_LEVELS = ("镇", "乡", "街道", "县", "区", "市", "省")
_TRADES = (("林业", "林"), ("综合行政执法", "综执"), ("市场监督", "市监"), ("应急", "应急"))


@dataclass(frozen=True)
class Style:
    """A 字号 in force: the word before the year, whether 第 precedes the serial, whether
    users may type a number themselves (the head's choice), and its version."""

    word: str
    di: bool = False
    manual: bool = False
    version: int = 0  # 0: the default, never saved

    def format(self, year: int, serial: int) -> str:
        return f"{self.word}〔{year}〕{'第' if self.di else ''}{serial}号"


@dataclass(frozen=True)
class Parsed:
    word: str
    year: int
    serial: int


def normalise(number: str) -> str:
    """``number`` with its year in 〔〕 whatever brackets were typed, spaces dropped."""
    text = re.sub(r"\s+", "", number)
    for left, right in _BRACKETS:
        text = re.sub(re.escape(left) + r"(\d{4})" + re.escape(right), r"〔\1〕", text)
    return text


def parse(number: str) -> Parsed | None:
    """The word, year and serial of a number written 机关代字〔年份〕(第)序号号, else None."""
    found = _NUMBER.match(normalise(number))
    if found is None:
        return None
    return Parsed(found["word"], int(found["year"]), int(found["serial"]))


def short_name(agency_name: str) -> str:
    """A default 机关代字 from the agency's name: its first character, its trade and its
    level (示范镇人民政府 -> 示镇; 某县林业局 -> 某县林); the head edits it."""
    name = re.sub(r"[（(].*?[)）]", "", agency_name).strip() or "本"
    level = next((lv[0] for lv in _LEVELS if lv in name[1:]), "")
    trade = next((code for word, code in _TRADES if word in name), "")
    return name[0] + level + trade


def default_style(agency_name: str, code: str) -> Style:
    """The 字号 of a kind whose head set none: the short name and the kind's code
    (a case: 立; a 行政处罚决定书: 罚决 …) with 字."""
    return Style(f"{short_name(agency_name)}{code}字")
