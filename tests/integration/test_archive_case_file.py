"""The case file (案卷) PDF: Chinese text that can be read back, embedded fonts, the documents
in the order of a penalty case file, and a catalogue whose page numbers are the real ones."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from liuhen.archive.case_file import build_case_file
from liuhen.archive.items import CaseFileOptions, collect_items
from liuhen.documents.values import TZ

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/township-general-penalty.json"


def _squash(text: str) -> str:
    return "".join(text.split())


def _example() -> dict:
    return json.loads(EXAMPLE.read_text("utf-8"))


def _stamped(reader: PdfReader) -> dict[int, int]:
    """Archive page number -> page index: digits alone in the bottom-right corner of a page."""
    found = {}
    for index, page in enumerate(reader.pages):
        corner: list[str] = []

        def visit(text, cm, tm, font, size, corner=corner):
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            if text.strip().isdigit() and x > 480 and y < 60:
                corner.append(text.strip())

        page.extract_text(visitor_text=visit)
        if corner:
            found[int(corner[-1])] = index
    return found


def _check_catalogue_matches_pages(reader: PdfReader, catalogue: list[dict]) -> None:
    numbers = _stamped(reader)
    last = catalogue[-1]["last_page"]
    assert sorted(numbers) == list(range(1, last + 1)), "pages numbered 1..N without gaps"
    front = numbers[1]
    assert all(numbers[n] == front + n - 1 for n in numbers), "numbered pages are consecutive"
    assert numbers[last] == len(reader.pages) - 2, "only the 备考表 follows the last number"
    catalogue_text = _squash("".join(reader.pages[i].extract_text() for i in range(1, front)))
    assert "卷内目录" in catalogue_text
    for entry in catalogue:
        page_text = _squash(reader.pages[numbers[entry["first_page"]]].extract_text())
        head = entry["title"].split("（")[0]  # 送达回证（…） is headed 送达回证
        assert _squash(head) in page_text, (entry, page_text[:80])
        assert _squash(entry["title"]) in catalogue_text
    outline = {o.title: reader.get_destination_page_number(o) for o in _flat(reader.outline)}
    for i, entry in enumerate(catalogue, start=1):
        assert outline[f"{i}. {entry['title']}"] == numbers[entry["first_page"]]
    assert outline["封面"] == 0 and outline["卷内目录"] == 1, "the cover is one page"
    assert outline["卷内备考表"] == len(reader.pages) - 1


def _flat(outline: list) -> list:
    out = []
    for item in outline:
        out.extend(_flat(item) if isinstance(item, list) else [item])
    return out


def _fonts_embedded(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                assert descriptor is not None
                descriptor = descriptor.get_object()
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
                names.add(str(descendant.get_object()["/BaseFont"]))
    return names


def test_imported_documents_are_laid_out_and_multi_page_items_are_counted():
    bundle = _example()
    bundle["text_records"] = [r for r in bundle["text_records"] if r["id"] == "T7"]
    bundle["approvals"] = bundle["approvals"][:1]
    bundle["services"] = bundle["services"][-1:]
    bundle["av_records"] = bundle["av_records"][:1]
    case_file = build_case_file(
        bundle, [], lambda sha: b"", made_at=datetime(2026, 10, 20, 10, tzinfo=TZ)
    )
    catalogue = case_file.catalogue()
    decision = next(c for c in catalogue if c["title"] == "行政处罚决定书")
    assert decision["last_page"] == decision["first_page"] + 1  # the decision takes two pages
    assert decision["source"] == "rendered"
    reader = PdfReader(io.BytesIO(case_file.pdf))
    _check_catalogue_matches_pages(reader, catalogue)
    assert "某木材加工厂未经批准堆放木材案" in _squash(reader.pages[0].extract_text())
    assert any("据数据排版" in n or "按文书格式" in n for n in case_file.notes)


def test_pages_drawn_by_liuhen_carry_each_font_once():
    """Every page of the example's case file is drawn here (cover, catalogue, the documents
    from their fields, the plain pages, the 备考表, the page numbers): they are written as
    one PDF, so each font is embedded once, subset to the glyphs of the whole file, and every
    page refers to that one copy (a PDF written per part carried a subset of each CJK font
    per part, ~4 times the size)."""
    case_file = build_case_file(
        _example(), [], lambda sha: b"", made_at=datetime(2026, 10, 20, 10, tzinfo=TZ)
    )
    reader = PdfReader(io.BytesIO(case_file.pdf))
    assert len(reader.pages) > 10 and case_file.conformance == "PDF/A-2B"
    copies: dict[str, set[int]] = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            for descendant in font.get_object().get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().raw_get("/FontDescriptor")
                family = str(descendant.get_object()["/BaseFont"]).split("+", 1)[-1]
                copies.setdefault(family, set()).add(descriptor.idnum)
    assert any("CJK" in family for family in copies), copies
    assert all(len(ids) == 1 for ids in copies.values()), copies
    last = case_file.catalogue()[-1]["last_page"]
    assert sorted(_stamped(reader)) == list(range(1, last + 1)), "every page still numbered"


def test_items_follow_the_order_of_a_penalty_case_file():
    slots = [item.slot for item in collect_items(_example(), CaseFileOptions())]
    assert slots[0] == "approval:initiation"
    assert slots.index("penalty_decision") < slots.index("rights_notice") < slots.index("service")
    assert slots.index("service") < slots.index("inquiry_record") < slots.index("av")
    assert slots.index("av") < slots.index("execution")
    internal = [item for item in collect_items(_example(), CaseFileOptions()) if item.internal]
    assert [i.slot for i in internal] == [
        "draft_decision",
        "approval:legal_review",
        "penalty_opinion",
        "approval:decision",
    ]
    assert slots[-len(internal) :] == [i.slot for i in internal]


def test_chronological_order_and_an_agency_order_list_are_honoured():
    items = collect_items(_example(), CaseFileOptions(chronological=True))
    dates = [item.date for item in items]
    assert dates == sorted(dates)
    assert not any(item.internal for item in items)
    order = ("av", "*", "approval:*")
    custom = collect_items(_example(), CaseFileOptions(order=order, internal=frozenset()))
    assert custom[0].slot == "av" and custom[-1].kind == "approval"


@pytest.mark.parametrize(
    "cause, expected",
    [
        ("未经批准堆放木材", "某木材加工厂未经批准堆放木材案"),
        ("", "某木材加工厂未经批准堆放木材案"),
    ],
)
def test_case_file_title_is_party_cause_and_case(cause, expected):
    from liuhen.archive.case_file import case_title

    bundle = _example()
    bundle["case"]["cause"] = cause
    assert case_title(bundle) == expected
