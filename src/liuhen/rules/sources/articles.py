"""The texts of the articles rules cite, shipped with the package.

``data/regulations.json`` is generated from the five regulation files by
``scripts/gen_rules_doc.py``; ``data/statutes.yaml`` holds the statute articles (行政处罚法,
行政强制法, 民事诉讼法, 行政诉讼证据规定) the profiles and the document catalogue cite.
Runtime never reads the regulation files themselves.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

import yaml

CITATION = re.compile(r"^(?P<source>\d{3}|[\u4e00-\u9fff]+)§(?P<article>\d+)$")


@cache
def regulations() -> dict[str, dict[str, str]]:
    """``{"004": {"title": ..., "file": ..., "articles": {"11": text}}}``."""
    text = resources.files("liuhen.rules").joinpath("data/regulations.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


@cache
def statutes() -> dict[str, dict[str, object]]:
    text = resources.files("liuhen.rules").joinpath("data/statutes.yaml").read_text("utf-8")
    data: dict[str, dict[str, object]] = yaml.safe_load(text)
    return data


def quote(citation: str) -> str | None:
    """The article text of ``citation`` (``004§11``, ``行政处罚法§59``), or None if unknown."""
    m = CITATION.match(citation)
    if m is None:
        return None
    source, article = m.group("source"), m.group("article")
    table = regulations().get(source) or statutes().get(source)
    if table is None:
        return None
    articles = table.get("articles")
    if not isinstance(articles, dict):
        return None
    found = articles.get(article, articles.get(int(article)))
    return str(found) if found is not None else None


def source_title(citation: str) -> str:
    m = CITATION.match(citation)
    if m is None:
        return ""
    table = regulations().get(m.group("source")) or statutes().get(m.group("source")) or {}
    return str(table.get("title", ""))
