"""The 案卷评查表 as an A4 PDF (WeasyPrint, the fonts of ``document.css``), drawn from the
rows ``services/oversight/scoring_view`` builds: every line under its category with what
it lost and each finding or note, the total, the grade and who signed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liuhen.documents.render_pdf import _css, _environment


def review_sheet_html(view: Mapping[str, Any]) -> str:
    return _environment().get_template("review_sheet.html").render(v=view, css=_css())


def render_review_sheet(view: Mapping[str, Any]) -> bytes:
    import weasyprint  # type: ignore[import-untyped]  # on first use: ~0.5 s a process

    pdf: bytes = weasyprint.HTML(string=review_sheet_html(view)).write_pdf()
    return pdf
