"""The redacted PDF of one record for a party's copy: drawn again with the confirmed marks'
words replaced (``documents/redaction.py``), a last page listing the marks, and then the
same watermark and seal as every copy (``copies.py``). The original is only read.

Before drawing, each mark's words are checked against the digest taken when it was
confirmed: a document drawn differently since (a changed catalogue) is refused rather than
covered in the wrong places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from liuhen.domain.redaction import Mark, by_key, text_digest
from liuhen.errors import Conflict
from liuhen.services.access.model import AccessRequest
from liuhen.services.access.queries.redactions import latest_redactions, officers_named
from liuhen.services.access.redaction_text import record_text
from liuhen.services.access.redactions import read_blob
from liuhen.store.store import Store


def confirmed_for(store: Store, request: AccessRequest) -> dict[str, dict[str, Any]]:
    """Record id -> the newest confirmed marks of the request (one query)."""
    with store.read() as conn:
        return latest_redactions(conn, request.id)


def redacted_pdf(
    store: Store,
    case: Mapping[str, Any],
    original: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
    redaction: Mapping[str, Any],
    citation: str,
) -> tuple[bytes, Mapping[str, Any]]:
    """(the redacted PDF with its reasons page, the original file it was drawn from)."""
    from liuhen.documents.redaction import Confirmed, append_pages, reasons_page, redacted_view
    from liuhen.documents.render_pdf import render_view
    from liuhen.documents.watermark import text_to_pdf
    from liuhen.domain.redaction import redact

    with store.read() as conn:
        officers = officers_named(conn, list((original["details"] or {}).get("officer_ids", [])))
    text = record_text(
        original,
        files,
        agency=str(case.get("agency_name") or ""),
        officers=officers,
        read=lambda s: read_blob(store, s),
    )
    marks = [Mark.from_dict(m) for m in redaction["marks"]]
    _check_digests(text.segments, redaction, original["title"])
    if text.view is not None:
        body = render_view(redacted_view(text.view, marks))
        source = next(
            f for f in files if f["role"] == "rendered" and f["media_type"].endswith("pdf")
        )
    elif text.text_file is not None:
        body = text_to_pdf(original["title"], redact(text.segments, marks)["text"])
        source = text.text_file
    else:
        raise Conflict(f"record: 《{original['title']}》{text.note}")
    at = redaction["created_at"].astimezone(store.settings.tz)
    who = Confirmed(str(redaction["details"].get("confirmed_by", "")), f"{at:%Y年%m月%d日 %H:%M}")
    page = reasons_page(original["title"], text.segments, marks, who, citation)
    return append_pages(body, page), source


def _check_digests(segments: Sequence[Any], redaction: Mapping[str, Any], title: str) -> None:
    known = by_key(segments)
    salt = str(redaction["details"].get("salt", ""))
    for n, raw in enumerate(redaction["marks"], start=1):
        mark = Mark.from_dict(raw)
        segment = known.get(mark.segment)
        fits = segment is not None and 0 <= mark.start < mark.end <= len(segment.text)
        if not fits or text_digest(salt, mark.covered(known)) != raw.get("digest"):
            raise Conflict(
                f"record: 《{title}》第 {n} 处遮盖与审查时的文字不一致（文书格式或内容已变化），"
                "请重新审查遮盖后再制作复制件"
            )
