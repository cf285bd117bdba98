"""The case file as PDF/A-2b (ISO 19005-2, level B), for the archive.

The case file is assembled by pypdf from pages WeasyPrint laid out (fonts embedded) and the
documents' own PDFs, so PDF/A is made at the assembly, not by WeasyPrint's ``pdf_variant``
(which only marks a document it wrote in one piece): ``conform`` adds what ISO 19005-2 asks
of the whole file and what the pieces lack:

- the XMP metadata stream (unfiltered) with ``pdfaid:part=2``, ``pdfaid:conformance=B`` and
  the same title, author, subject, tool and dates as the document information dictionary;
- an output intent ``GTS_PDFA1`` with the sRGB ICC profile WeasyPrint ships (the pages draw
  in DeviceRGB);
- every annotation printable (flag 4, none hidden); the seal widgets of sealed documents
  drawn flat into their page (their signature covered the document's own file, not the case
  file, so a live signature field here would only show as broken; the originals with their
  valid seals are in the package's ``data/documents/``);
- header ``%PDF-1.7`` with the binary comment line, and a file identifier.

``conform`` then runs ``pdfa_check.pdfa_problems`` on its own output; if a piece cannot
conform (an uploaded PDF with a font not embedded, say), the file is written again without
the PDF/A claim and the problems are returned, so no file claims what it is not.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

from pyhanko.pdf_utils.metadata.model import VENDOR
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

PART, CONFORMANCE = 2, "B"
CLAIM = f"PDF/A-{PART}{CONFORMANCE}"
PRODUCER = VENDOR
"""The producer is pyHanko's name: sealing writes the last revision, and pyHanko then sets the
XMP's ``pdf:Producer`` to exactly this (and keeps an information dictionary's Producer that
already names it), so the two stay equal as ISO 19005-2 §6.6.2.3 requires."""
PRINT = 4
"""Annotation flag 3 (Print); PDF/A forbids Hidden (2), NoView (32), ToggleNoView (256)."""


@dataclass(frozen=True)
class PdfaInfo:
    """What the document information dictionary and the XMP both say."""

    title: str
    author: str
    subject: str
    created: datetime


@cache
def srgb_profile() -> bytes:
    """The sRGB ICC profile (sRGB2014) that WeasyPrint ships for its own PDF/A output."""
    return resources.files("weasyprint.pdf").joinpath("sRGB2014.icc").read_bytes()


def conform(pdf: bytes, info: PdfaInfo) -> tuple[bytes, list[str]]:
    """``pdf`` made PDF/A-2b, and the problems the offline check found (empty when the file
    conforms; otherwise the file is returned without the PDF/A claim)."""
    from liuhen.archive.pdfa_check import pdfa_problems

    made = _rewrite(pdf, info, claim=True)
    problems = pdfa_problems(made)
    if not problems:
        return made, []
    return _rewrite(pdf, info, claim=False), problems


def _rewrite(pdf: bytes, info: PdfaInfo, *, claim: bool) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pdf_header = "%PDF-1.7"
    for page in writer.pages:
        _printable_annotations(writer, page)
    root = writer._root_object
    for key in ("/AcroForm", "/OpenAction", "/AA"):
        root.pop(NameObject(key), None)
    metadata = StreamObject()
    metadata.set_data(xmp_packet(info, claim=claim))
    metadata[NameObject("/Type")] = NameObject("/Metadata")
    metadata[NameObject("/Subtype")] = NameObject("/XML")
    root[NameObject("/Metadata")] = writer._add_object(metadata)
    if claim:
        root[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(_intent(writer))])
    writer.add_metadata(_info_dict(info))
    writer.generate_file_identifiers()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _intent(writer: PdfWriter) -> DictionaryObject:
    profile = StreamObject()
    profile.set_data(srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject()
    intent[NameObject("/Type")] = NameObject("/OutputIntent")
    intent[NameObject("/S")] = NameObject("/GTS_PDFA1")
    intent[NameObject("/OutputConditionIdentifier")] = TextStringObject("sRGB IEC61966-2.1")
    intent[NameObject("/Info")] = TextStringObject("sRGB IEC61966-2.1")
    intent[NameObject("/DestOutputProfile")] = writer._add_object(profile)
    return intent


def _printable_annotations(writer: PdfWriter, page: Any) -> None:
    """Every annotation printable; signature widgets drawn into the page and removed."""
    annots = page.get("/Annots")
    if annots is None:
        return
    kept = ArrayObject()
    for ref in annots.get_object():
        annot = ref.get_object()
        if _is_signature(annot):
            _draw_flat(writer, page, annot, len(kept) + len(annots))
            continue
        annot[NameObject("/F")] = NumberObject(PRINT)
        kept.append(ref)
    if kept:
        page[NameObject("/Annots")] = kept
    else:
        del page["/Annots"]


def _is_signature(annot: Mapping[str, Any]) -> bool:
    parent = annot.get("/Parent")
    field_type = annot.get("/FT") or (parent.get_object().get("/FT") if parent else None)
    return annot.get("/Subtype") == "/Widget" and field_type == "/Sig"


def _draw_flat(writer: PdfWriter, page: Any, annot: Mapping[str, Any], n: int) -> None:
    """Draw the normal appearance of ``annot`` on ``page`` at its rectangle."""
    appearance = annot.get("/AP", {}).get("/N") if "/AP" in annot else None
    if appearance is None:
        return
    form = appearance.get_object()
    x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
    x1, x2 = min(x1, x2), max(x1, x2)
    y1, y2 = min(y1, y2), max(y1, y2)
    box = [float(v) for v in form.get("/BBox", [0, 0, x2 - x1, y2 - y1])]
    # a rectangle may name its corners in any order (pyHanko writes [0 h w 0]): normalise
    bx1, bx2 = min(box[0], box[2]), max(box[0], box[2])
    by1, by2 = min(box[1], box[3]), max(box[1], box[3])
    sx = (x2 - x1) / (bx2 - bx1) if bx2 != bx1 else 1.0
    sy = (y2 - y1) / (by2 - by1) if by2 != by1 else 1.0
    name = f"/LiuHenSealAppearance{n}"
    resources_ = page.get("/Resources")
    resources_ = resources_.get_object() if resources_ is not None else DictionaryObject()
    xobjects = resources_.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
    xobjects[NameObject(name)] = appearance
    resources_[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = resources_
    draw = (
        f"q {sx:.6f} 0 0 {sy:.6f} {x1 - bx1 * sx:.4f} {y1 - by1 * sy:.4f} cm {name} Do Q\n"
    ).encode("ascii")
    before, after = DecodedStreamObject(), DecodedStreamObject()
    before.set_data(b"q\n")
    after.set_data(b"\nQ\n" + draw)
    contents = page.get("/Contents")
    parts = contents.get_object() if contents is not None else ArrayObject()
    parts = list(parts) if isinstance(parts, ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject(
        [writer._add_object(before), *parts, writer._add_object(after)]
    )


def pdf_date(when: datetime) -> str:
    offset = when.strftime("%z") or "+0000"
    return f"D:{when:%Y%m%d%H%M%S}{offset[:3]}'{offset[3:]}'"


def _info_dict(info: PdfaInfo) -> dict[str, str]:
    return {
        "/Title": info.title,
        "/Author": info.author,
        "/Subject": info.subject,
        "/Creator": "LiuHen 留痕",
        "/Producer": PRODUCER,
        "/CreationDate": pdf_date(info.created),
        "/ModDate": pdf_date(info.created),
    }


def xmp_packet(info: PdfaInfo, *, claim: bool = True) -> bytes:
    """The XMP metadata: the PDF/A identification (when ``claim``) and the same values as the
    document information dictionary (ISO 19005-2 §6.6.2.3)."""
    when = info.created.isoformat(timespec="seconds")
    title, author, subject = (escape(v) for v in (info.title, info.author, info.subject))
    pdfaid = (
        '  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"'
        f' pdfaid:part="{PART}" pdfaid:conformance="{CONFORMANCE}"/>\n'
        if claim
        else ""
    )
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f"{pdfaid}"
        '  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f'   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>\n'
        f"   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>\n"
        f'   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li>'
        "</rdf:Alt></dc:description>\n"
        "  </rdf:Description>\n"
        '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        f' xmp:CreatorTool="LiuHen 留痕" xmp:CreateDate="{when}" xmp:ModifyDate="{when}"'
        f' xmp:MetadataDate="{when}"/>\n'
        '  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        f' pdf:Producer="{escape(PRODUCER)}"/>\n'
        "</rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return text.encode("utf-8")
