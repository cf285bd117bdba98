"""The text of a record as redaction sees it, and which records can be redacted at all.

- A document LiuHen made (a catalogue kind with its fields, its PDF a ``rendered`` file) is
  redacted by drawing it again from its own data: its text is the rendering's rows and
  signature lines (``documents/redaction.py``).
- A plain-text record (a 笔录 kept as .txt) is set again from its redacted text.
- Anything else (an uploaded PDF, a scan, a photo, audio-video) cannot be: removing words
  from a PDF LiuHen did not draw needs a library that rewrites its content streams (PyMuPDF,
  whose AGPL licence this proprietary product cannot take), and a black box over live text
  would leave the words extractable. Marks on such a record are refused, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from liuhen.documents.content import DocumentView
from liuhen.domain.redaction import Segment
from liuhen.services.access.model import PDF

TEXT_MAX = 2_000_000
"""A plain-text file larger than this (bytes) is not read for redaction."""
CANNOT = (
    "该记录是上传的文件（PDF、扫描件、照片或音像），系统不能从中真正删除文字"
    "（在文字上加黑框，文字仍可被复制提取），因此不能遮盖；如其中有不应提供的内容，"
    "请不同意本申请并说明理由，另行登记时将该记录列为不予提供"
)


@dataclass(frozen=True)
class RecordText:
    """``source``: ``rendered`` (drawn again from ``view``), ``text`` (set again from the
    plain text) or ``none`` (cannot be redacted: ``note`` says why)."""

    source: str
    segments: tuple[Segment, ...] = ()
    view: DocumentView | None = None
    text_file: Mapping[str, Any] | None = None
    note: str = ""

    @property
    def redactable(self) -> bool:
        return self.source != "none"


def record_text(
    record: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
    *,
    agency: str,
    officers: Mapping[str, tuple[str, str]],
    read: Callable[[str], bytes],
) -> RecordText:
    """The text of ``record`` and how its copy can be redacted (``read``: a blob's bytes)."""
    view = _rendered_view(record, files, agency, officers)
    if view is not None:
        from liuhen.documents.redaction import segments

        return RecordText("rendered", tuple(segments(view)), view=view)
    text_files = [f for f in files if str(f["media_type"]).startswith("text/plain")]
    if record["kind"] == "text" and text_files and not any(f["media_type"] == PDF for f in files):
        f = text_files[0]
        raw = read(f["blob_sha256"])[:TEXT_MAX]
        text = raw.decode("utf-8", errors="replace")
        return RecordText("text", (Segment("text", "全文", text),), text_file=f)
    return RecordText("none", note=CANNOT)


def _rendered_view(
    record: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
    agency: str,
    officers: Mapping[str, tuple[str, str]],
) -> DocumentView | None:
    from liuhen.documents.catalogue import default_catalogue

    details = record["details"] or {}
    rendered = any(f["role"] == "rendered" and f["media_type"] == PDF for f in files)
    if record["kind"] != "text" or not rendered or record["doc_kind"] not in default_catalogue():
        return None
    from liuhen.documents.redaction import filled_from_details
    from liuhen.documents.render_pdf import document_view

    try:
        filled = filled_from_details(record["doc_kind"], details, agency, officers)
        return document_view(filled)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # stored values the layout cannot show: treated as an uploaded file


def officer_ids_of(records: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted({o for r in records for o in (r["details"] or {}).get("officer_ids", [])})
