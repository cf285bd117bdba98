"""docs/rules.md and the shipped article texts are generated; they must not go stale, and every
provision of PROVISIONS.md §2–§8 must be covered by a rule or listed as not decidable."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from tests.conftest import need

from liuhen.rules import list_profiles
from liuhen.rules.sources import articles
from liuhen.rules.sources.docgen import (
    extract_articles,
    find_regulations_dir,
    not_decidable,
    provision_citations,
    regulations_data,
    render_rules_md,
)

ROOT = Path(__file__).resolve().parents[3]
REGULATIONS = find_regulations_dir(ROOT)


@pytest.fixture
def regulations() -> Path:
    """The regulation texts beside the repo (../shared); CI always has them, so it fails there."""
    need(
        REGULATIONS is not None, "shared/regulations is not beside the repo (../shared/regulations)"
    )
    assert REGULATIONS is not None
    return REGULATIONS


needs_regulations = pytest.mark.usefixtures("regulations")


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_rules_doc", ROOT / "scripts" / "gen_rules_doc.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_md_is_up_to_date() -> None:
    expected = render_rules_md(list_profiles())
    actual = (ROOT / "docs" / "rules.md").read_text("utf-8")
    assert actual == expected, "docs/rules.md is stale: run python scripts/gen_rules_doc.py"


@needs_regulations
def test_shipped_article_texts_match_the_regulation_files() -> None:
    assert _generator().main(["--check"]) == 0


@needs_regulations
def test_every_provision_is_covered_by_a_rule_or_listed_as_not_decidable() -> None:
    cited = provision_citations((REGULATIONS / "PROVISIONS.md").read_text("utf-8"))
    assert len(cited) > 80
    covered = {c for p in list_profiles() for r in p.rules for c in r.citations()}
    listed = {item["citation"] for item in not_decidable()}
    assert [c for c in cited if c not in covered and c not in listed] == []


def test_not_decidable_entries_give_a_reason() -> None:
    for item in not_decidable():
        assert articles.quote(item["citation"]), item
        assert len(item["reason"]) > 5 and item["topic"]


def test_every_rule_citation_has_an_article_text() -> None:
    for profile in list_profiles():
        for rule in profile.rules:
            for citation in rule.citations():
                assert articles.quote(citation), (profile.id, rule.id, citation)


def test_rules_md_quotes_the_article_sentences() -> None:
    text = (ROOT / "docs" / "rules.md").read_text("utf-8")
    assert (
        "> 音像记录制作完成后，行政执法人员不得私自保存，应当在24小时内移交至本单位管理人员，统一存储和保管。"
        in text
    )
    assert "## 不能从记录判定的条款" in text


def test_article_extraction_handles_numbered_items_and_broken_lines() -> None:
    assert extract_articles(" 一 、第一项。\n二、第二\n项。\n")["2"] == "第二项。"
    assert extract_articles("第一章 总则\n第一条 甲。\n\n第二条 乙\n\n丙。\n")["2"] == "乙丙。"
    assert (
        extract_articles("第一条 一。\n第九条 见第十条规定。\n第十条 十。")["9"] == "见第十条规定。"
    )


@needs_regulations
def test_regulation_files_parse_into_their_article_counts() -> None:
    counts = {code: len(data["articles"]) for code, data in regulations_data(REGULATIONS).items()}
    assert counts == {"000": 24, "001": 16, "002": 38, "003": 26, "004": 40}


def test_provision_parser_reads_shorthand_and_table_rows() -> None:
    md = "## 2. X\n| MUST | a | 002§11, §14 |\n## 4. Y\n| 001 | within (§10) | 20 days (§11) |\n## 9. Z\n000§1\n"
    assert set(provision_citations(md)) == {"001§10", "001§11", "002§11", "002§14"}
