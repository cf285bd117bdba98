"""One case file (案卷) as one PDF: cover, 卷内目录, the documents in order, the 音像资料说明
of each AV record, and the 卷内备考表 (reference §2.3, GB/T 9705-2008).

    case_file = build_case_file(bundle, files, read_blob, made_at=now)
    case_file.pdf            # bytes: PDF/A-2b (pdfa.py), CJK fonts embedded, one bookmark per document
    case_file.items          # the catalogue, each item with its first and last page

Documents made in LiuHen bring their own rendered PDF; a record with a text or image
original shows it; a record imported without a file is drawn from its bundle fields, with
the document catalogue's layout when its kind is there. Pages of the documents are
numbered 1, 2, … at the bottom right; the cover, the catalogue and the 备考表 are not
(评查标准: 案卷封面、卷内目录、备考表不编页号), and the catalogue cites the real pages.
Nothing here reads a database: the caller passes the bundle, the list of stored files and
a function that reads a blob.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pypdf import PdfReader, PdfWriter, Transformation

from liuhen.archive import views
from liuhen.archive.front_matter import (
    back_view,
    case_title,
    catalogue_rows,
    cover_view,
    source_notes,
)
from liuhen.archive.items import (
    Appendix,
    CaseFileOptions,
    Item,
    appendix_item,
    collect_items,
    parse_time,
)
from liuhen.archive.pages import (
    Generated,
    Slot,
    lay_out_back,
    lay_out_front,
    lay_out_items,
    lay_out_numbers,
)
from liuhen.archive.pdfa import CLAIM, PdfaInfo, conform
from liuhen.domain import vocab

PDF = "application/pdf"
A4_WIDTH = 595.28
ReadBlob = Callable[[str], bytes]


@dataclass(frozen=True)
class RecordFile:
    """A stored file of a record; ``path`` is where an export package keeps it."""

    record_id: str
    role: str
    file_name: str
    media_type: str
    sha256: str
    sm3: str = ""
    size: int = 0
    path: str = ""


@dataclass
class CaseFile:
    title: str
    pdf: bytes
    items: list[Item]
    numbered_pages: int
    front_pages: int
    back_pages: int
    notes: list[str] = field(default_factory=list)
    conformance: str = ""
    """``PDF/A-2B`` when the file passed the offline PDF/A check (``pdfa``), else empty."""
    pdfa_problems: list[str] = field(default_factory=list)

    @property
    def total_pages(self) -> int:
        return self.front_pages + self.numbered_pages + self.back_pages

    def catalogue(self) -> list[dict[str, Any]]:
        """The 卷内目录 as data (for package metadata and tests)."""
        return [
            {
                "seq": i,
                "number": item.number,
                "author": item.author,
                "title": item.title,
                "date": item.date.strftime("%Y%m%d") if item.date else "",
                "first_page": item.first_page,
                "last_page": item.last_page,
                "volume": "副卷" if item.internal else "正卷",
                "source": item.source,
                "key": item.key,
            }
            for i, item in enumerate(self.items, start=1)
        ]


@dataclass
class _Part:
    """Pages of one item: a stored PDF, a view laid out with the others, or a document
    drawn from its fields (laid out on its own)."""

    pdf: bytes | None = None
    view: dict[str, Any] | None = None
    laid_out: Any = None


def build_case_file(
    bundle: Mapping[str, Any],
    files: Sequence[RecordFile],
    read: ReadBlob,
    *,
    made_at: datetime,
    options: CaseFileOptions | None = None,
    notes: Sequence[str] = (),
    overrides: Sequence[str] = (),
    appendices: Sequence[Appendix] = (),
) -> CaseFile:
    """The case file of ``bundle`` as one PDF; ``notes`` go on the 备考表, and so do
    ``overrides`` (越过提示的决定: the head's overrides of a gate, one line each);
    ``appendices`` close the 副卷."""
    options = options or CaseFileOptions()
    items = collect_items(bundle, options)
    items += [appendix_item(a, n) for n, a in enumerate(appendices, start=1)]
    by_record: dict[str, list[RecordFile]] = {}
    for f in files:
        by_record.setdefault(f.record_id, []).append(f)
    parts = [_parts(bundle, item, by_record.get(item.entity["id"], []), read) for item in items]
    generated = Generated()
    item_slots = _lay_out(parts, generated)
    number = 0
    for item, slots in zip(items, item_slots, strict=True):
        item.first_page, item.last_page = number + 1, number + len(slots)
        number += len(slots)
    title = case_title(bundle)
    front_document, catalogue_at = lay_out_front(
        cover_view(bundle, title, items, number, made_at), catalogue_rows(items)
    )
    front_slots = generated.add(front_document)
    back_notes = [*notes, *source_notes(items)]
    back_slots = generated.add(
        lay_out_back(
            {
                **back_view(bundle, title, items, number, made_at, options, back_notes),
                "overrides": list(overrides),
            }
        )
    )
    number_slots = generated.add(lay_out_numbers(range(1, number + 1))) if number else []
    pages = generated.write()
    front, back = pages(front_slots), pages(back_slots)
    item_pages = [pages(slots) for slots in item_slots]
    pdf = _assemble(
        title, bundle, front, catalogue_at, items, item_pages, back, pages(number_slots)
    )
    info = PdfaInfo(
        title,
        bundle.get("agency", {}).get("name", ""),
        f"案卷 {bundle.get('case', {}).get('number', '')}",
        made_at,
    )
    pdf, problems = conform(pdf, info)
    case_file = CaseFile(title, pdf, items, number, len(front), len(back), back_notes)
    case_file.conformance, case_file.pdfa_problems = ("" if problems else CLAIM), problems
    return case_file


def _filled_document(bundle: Mapping[str, Any], record: Mapping[str, Any]) -> Any:
    from liuhen.documents import FilledDocument, OfficerPresent, Signature

    officers = {o["id"]: o for o in bundle.get("officers", [])}
    present = tuple(
        OfficerPresent(officers[o]["name"], officers[o].get("certificate_number", ""))
        for o in record.get("officer_ids", [])
        if o in officers
    )
    signatures = [
        Signature(
            role=s.get("role", "officer"),
            name=s.get("name", ""),
            signed_at=parse_time(s.get("signed_at")),
            method=s.get("method", "signature"),
        )
        for s in record.get("signatures", [])
    ]
    signatures += [
        Signature(
            role=r.get("role", "party"),
            name=r.get("name", ""),
            refused=True,
            refusal_reason=r.get("reason", ""),
            witness=r.get("witness", ""),
        )
        for r in record.get("refusals", [])
    ]
    return FilledDocument(
        kind=record["kind"],
        number=record.get("number", ""),
        agency=bundle.get("agency", {}).get("name", ""),
        values=dict(record.get("fields") or {}),
        signatures=tuple(signatures),
        officers=present,
        certificates_shown=record.get("certificates_shown"),
        sealed=bool(record.get("sealed", False)),
    )


def _render_record(bundle: Mapping[str, Any], item: Item) -> Any:
    """The record laid out in its catalogue layout (a WeasyPrint document, written with the
    case file's other pages), or None when its kind or fields do not fit one."""
    from liuhen.documents.catalogue import default_catalogue
    from liuhen.documents.render_pdf import document_view, lay_out_view

    if item.entity.get("kind") not in default_catalogue():
        return None
    try:
        return lay_out_view(document_view(_filled_document(bundle, item.entity)))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # imported values the layout cannot show: the plain page lists them


def _file_row(f: RecordFile) -> dict[str, Any]:
    return {"name": f.file_name, "path": f.path, "size": f.size, "sha256": f.sha256, "sm3": f.sm3}


def _text_parts(
    bundle: Mapping[str, Any], item: Item, files: Sequence[RecordFile], read: ReadBlob
) -> list[_Part]:
    agency = bundle.get("agency", {}).get("name", "")
    files = [f for f in files if f.role != "signature"]  # printed in its document's PDF
    shown = [f for f in files if f.media_type == PDF or f.media_type.startswith("image/")]
    if shown:
        item.source = "stored"
        return [
            _Part(pdf=read(f.sha256))
            if f.media_type == PDF
            else _Part(
                view=views.image_view(item, agency, read(f.sha256), f.media_type, f.file_name)
            )
            for f in shown
        ]
    texts = [f for f in files if f.media_type.startswith("text/plain")]
    if texts:
        item.source = "stored"
        return [
            _Part(
                view=views.plain_text_view(
                    item, agency, read(f.sha256).decode("utf-8", "replace"), f.file_name
                )
            )
            for f in texts
        ]
    if files:
        item.source = "stored"
        return [_Part(view=views.attachment_view(item, agency, [_file_row(f) for f in files]))]
    rendered = _render_record(bundle, item)
    if rendered is not None:
        item.source = "rendered"
        return [_Part(laid_out=rendered)]
    return [_Part(view=views.text_view(bundle, item, agency))]


def _parts(
    bundle: Mapping[str, Any], item: Item, files: Sequence[RecordFile], read: ReadBlob
) -> list[_Part]:
    agency = bundle.get("agency", {}).get("name", "")
    numbers = {
        r["id"]: " ".join(
            x
            for x in (
                r.get("title") or vocab.DOCUMENT_KINDS.get(r.get("kind", ""), ""),
                r.get("number", ""),
            )
            if x
        )
        for r in bundle.get("text_records", [])
    }
    if item.kind == "text":
        return _text_parts(bundle, item, files, read)
    if item.kind == "appendix":
        return [_Part(pdf=item.entity["pdf"])]
    if item.kind == "approval":
        return [_Part(view=views.approval_view(bundle, item, agency))]
    if item.kind == "service":
        return [_Part(view=views.service_view(bundle, item, agency, numbers))]
    if item.kind == "execution":
        return [_Part(view=views.execution_view(item, agency, numbers))]
    held = {f.sha256: f for f in files}
    rows = [_file_row(f) for f in files]
    for segment in item.entity.get("segments", []):
        if segment.get("sha256") not in held:
            rows.append(
                {
                    "name": segment.get("file_name", ""),
                    "path": "",
                    "size": "",
                    "sha256": segment.get("sha256", ""),
                    "sm3": "",
                }
            )
    if files:
        item.source = "stored"
    return [_Part(view=views.av_view(bundle, item, agency, rows))]


def _lay_out(parts: list[list[_Part]], generated: Generated) -> list[list[Slot]]:
    """The pages of every item, in order (generated views laid out in one pass)."""
    flat_views = [p.view for group in parts for p in group if p.view is not None]
    batch, spans = lay_out_items(flat_views)
    batch_slots = generated.add(batch) if batch is not None else []
    out: list[list[Slot]] = []
    view_index = 0
    for group in parts:
        pages: list[Slot] = []
        for part in group:
            if part.pdf is not None:
                pages.extend(PdfReader(io.BytesIO(part.pdf)).pages)
            elif part.laid_out is not None:
                pages.extend(generated.add(part.laid_out))
            else:
                start, count = spans[view_index]
                view_index += 1
                pages.extend(batch_slots[start : start + count])
        out.append(pages)
    return out


def _assemble(
    title: str,
    bundle: Mapping[str, Any],
    front: Sequence[Any],
    catalogue_at: int,
    items: Sequence[Item],
    item_pages: Sequence[Sequence[Any]],
    back: Sequence[Any],
    numbers: Sequence[Any],
) -> bytes:
    writer = PdfWriter()
    for page in front:
        writer.add_page(page)
    writer.add_outline_item(title="封面", page_number=0)
    writer.add_outline_item(title="卷内目录", page_number=catalogue_at)
    parents: dict[bool, Any] = {}
    split = len({it.internal for it in items}) > 1
    for i, (item, pages) in enumerate(zip(items, item_pages, strict=True), start=1):
        first_index = len(writer.pages)
        for page in pages:
            writer.add_page(page)
        parent = None
        if split:
            if item.internal not in parents:
                parents[item.internal] = writer.add_outline_item(
                    title="副卷" if item.internal else "正卷", page_number=first_index
                )
            parent = parents[item.internal]
        if pages:
            writer.add_outline_item(
                title=f"{i}. {item.title}", page_number=first_index, parent=parent
            )
    _stamp_numbers(writer, len(front), numbers)
    back_index = len(writer.pages)
    for page in back:
        writer.add_page(page)
    writer.add_outline_item(title="卷内备考表", page_number=back_index)
    writer.add_metadata(
        {
            "/Title": title,
            "/Author": bundle.get("agency", {}).get("name", ""),
            "/Subject": f"案卷 {bundle.get('case', {}).get('number', '')}",
            "/Creator": "LiuHen 留痕",
        }
    )
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stamp_numbers(writer: PdfWriter, first_index: int, numbers: Sequence[Any]) -> None:
    """Lay the archive page number (``numbers``: one page each, 1, 2, …) over the bottom
    right of each document page."""
    for n, number in enumerate(numbers):
        page = writer.pages[first_index + n]
        box = page.mediabox
        dx = float(box.right) - A4_WIDTH
        dy = float(box.bottom)
        page.merge_transformed_page(number, Transformation().translate(dx, dy))
