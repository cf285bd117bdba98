"""PDFs built by hand for font checks: Chinese text in a CJK font that is not embedded (the
classic ``STSong-Light`` of Adobe's Asian font packs, which a reader without the pack
cannot show)."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)


def pdf_with_unembedded_song(text: str = "行政执法") -> bytes:
    """One page showing ``text`` in STSong-Light (UniGB-UCS2-H), no font program inside."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    descendant = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light"),
            NameObject("/CIDSystemInfo"): DictionaryObject(
                {
                    NameObject("/Registry"): TextStringObject("Adobe"),
                    NameObject("/Ordering"): TextStringObject("GB1"),
                    NameObject("/Supplement"): NumberObject(4),
                }
            ),
            NameObject("/FontDescriptor"): writer._add_object(  # noqa: SLF001
                DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/FontDescriptor"),
                        NameObject("/FontName"): NameObject("/STSong-Light"),
                        NameObject("/Flags"): NumberObject(6),
                    }
                )
            ),
        }
    )
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light-UniGB-UCS2-H"),
            NameObject("/Encoding"): NameObject("/UniGB-UCS2-H"),
            NameObject("/DescendantFonts"): ArrayObject([writer._add_object(descendant)]),  # noqa: SLF001
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}  # noqa: SLF001
    )
    content = DecodedStreamObject()
    hexed = text.encode("utf-16-be").hex()
    content.set_data(f"BT /F1 24 Tf 72 720 Td <{hexed}> Tj ET".encode("ascii"))
    page[NameObject("/Contents")] = writer._add_object(content)  # noqa: SLF001
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
