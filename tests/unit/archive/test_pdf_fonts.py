"""Font checks of a PDF: a document rendered as LiuHen renders them passes; Chinese in a
font that is not embedded fails, naming the page and the font; Latin-only text is fine."""

from __future__ import annotations

import weasyprint  # type: ignore[import-untyped]
from tests.pdf_samples import pdf_with_unembedded_song

from liuhen.archive.pdf_fonts import cjk_problems, font_uses


def test_a_rendered_chinese_page_embeds_its_cjk_font():
    pdf = weasyprint.HTML(
        string="<p style=\"font-family:'Noto Serif CJK SC'\">行政执法全过程记录</p>"
    ).write_pdf()
    uses = font_uses(pdf)
    assert uses and all(u.embedded for u in uses) and any(u.cjk for u in uses)
    assert cjk_problems(pdf) == []


def test_chinese_in_a_font_that_is_not_embedded_is_named():
    problems = cjk_problems(pdf_with_unembedded_song())
    assert problems == ["第 1 页中文字体 STSong-Light-UniGB-UCS2-H 未嵌入"]


def test_latin_text_needs_no_chinese_font():
    pdf = weasyprint.HTML(string="<p style='font-family:DejaVu Sans'>Case 42</p>").write_pdf()
    assert cjk_problems(pdf) == []
    assert [u.cjk for u in font_uses(pdf)] == [False]


def test_something_that_is_not_a_pdf_is_one_problem_not_a_traceback():
    problems = cjk_problems(b"%PDF-1.7 truncated")
    assert len(problems) == 1 and problems[0].startswith("无法读取 PDF")
