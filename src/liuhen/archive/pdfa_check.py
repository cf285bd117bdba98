"""An offline check of a PDF's PDF/A-2 identification and the requirements that matter for a
case file, with pypdf (veraPDF, the reference validator, is Java and is not in PyPI, npm or
Debian, so it cannot be installed here; docs/archive-formats.md says what this check covers).

``pdfa_problems(pdf)`` returns one sentence per problem found (empty: the file passes):

1. file structure (ISO 19005-2 §6.1): header ``%PDF-1.0``…``%PDF-1.7`` followed by a comment
   line of at least four bytes above 127; a file identifier (``/ID``) in the trailer; not
   encrypted; no stream kept in an external file (``/F``) or compressed with LZW;
2. metadata (§6.6): an unfiltered XMP metadata stream in the catalog that parses and names
   ``pdfaid:part`` 2 or 3 and ``pdfaid:conformance`` B, U or A; every entry of the document
   information dictionary (Title, Author, Subject, Creator, Producer, CreationDate, ModDate)
   equal to its XMP counterpart;
3. colour (§6.2.3–4): an output intent ``GTS_PDFA1`` whose destination profile is an ICC
   profile with as many components as its ``/N`` says (one profile only); no image in
   DeviceCMYK unless the output intent is CMYK; no image with ``/Interpolate true``,
   ``/Alternates`` or ``/OPI``;
4. fonts (§6.2.11): every font used on every page, in its form XObjects and in annotation
   appearances, has its program embedded (Type 3 fonts are drawn by the file itself);
5. actions and annotations (§6.3, §6.5–6.8): no JavaScript, no additional actions (``/AA``),
   no Launch or JavaScript open action, no embedded files; every annotation printable and
   not hidden, with an appearance stream unless it is a Link or Popup.

What it does not check (and veraPDF would): the glyph widths and character maps inside font
programs, the content streams' operators and their colour spaces, transparency groups, the
XMP's extension schemas, and the byte offsets of the cross-reference table.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
}
_HEADER = re.compile(rb"%PDF-1\.[0-7]\r?\n?")
_INFO_TO_XMP = {
    "/Title": ("dc", "title"),
    "/Author": ("dc", "creator"),
    "/Subject": ("dc", "description"),
    "/Creator": ("xmp", "CreatorTool"),
    "/Producer": ("pdf", "Producer"),
    "/CreationDate": ("xmp", "CreateDate"),
    "/ModDate": ("xmp", "ModifyDate"),
}
_PDF_DATE = re.compile(r"D:(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?([Zz]|[+-]\d\d'?\d\d'?)?")


def pdfa_problems(pdf: bytes) -> list[str]:
    """Why ``pdf`` is not PDF/A-2 as far as this check sees; empty when it passes."""
    problems = _header_problems(pdf)
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        if reader.is_encrypted:
            return [*problems, "文件已加密（PDF/A 不允许加密）"]
        problems += _trailer_and_catalog(reader)
        problems += _metadata_problems(reader)
        problems += _intent_problems(reader)
        for number, page in enumerate(reader.pages, start=1):
            problems += _page_problems(number, page)
    except (PyPdfError, KeyError, TypeError, AttributeError, ValueError) as exc:
        problems.append(f"无法读取 PDF（{type(exc).__name__}：{exc}）"[:200])
    return list(dict.fromkeys(problems))


def _header_problems(pdf: bytes) -> list[str]:
    match = _HEADER.match(pdf)
    if match is None:
        return ["文件头不是 %PDF-1.0 至 %PDF-1.7"]
    rest = pdf[match.end() : match.end() + 64].lstrip(b"\r\n")
    comment = rest.split(b"\n", 1)[0]
    if not comment.startswith(b"%") or sum(b > 127 for b in comment[1:5]) < 4:
        return ["文件头之后没有标明二进制内容的注释行（至少四个大于 127 的字节）"]
    return []


def _trailer_and_catalog(reader: PdfReader) -> list[str]:
    problems = []
    if "/ID" not in reader.trailer:
        problems.append("文件尾（trailer）没有文件标识 /ID")
    root: Any = reader.trailer["/Root"].get_object()
    names = root.get("/Names")
    names = names.get_object() if names is not None else {}
    if "/JavaScript" in names:
        problems.append("文档含有 JavaScript")
    if "/EmbeddedFiles" in names:
        problems.append("文档含有嵌入文件")
    if "/AA" in root:
        problems.append("文档目录含有附加动作（/AA）")
    action = root.get("/OpenAction")
    action = action.get_object() if action is not None else None
    if isinstance(action, dict) and action.get("/S") in ("/JavaScript", "/Launch"):
        problems.append(f"打开文档时执行 {action.get('/S')} 动作")
    form = root.get("/AcroForm")
    if form is not None and form.get_object().get("/NeedAppearances") is True:
        problems.append("表单要求阅读器自行生成外观（NeedAppearances）")
    return problems


def _metadata_problems(reader: PdfReader) -> list[str]:
    root: Any = reader.trailer["/Root"].get_object()
    stream = root.get("/Metadata")
    if stream is None:
        return ["文档目录没有 XMP 元数据流（/Metadata）"]
    stream = stream.get_object()
    problems = ["XMP 元数据流经过压缩或编码（/Filter）"] if "/Filter" in stream else []
    try:
        xmp = ET.fromstring(stream.get_data())
    except ET.ParseError as exc:
        return [*problems, f"XMP 元数据不是有效的 XML（{exc}）"]
    part = _xmp_value(xmp, "pdfaid", "part")
    conformance = _xmp_value(xmp, "pdfaid", "conformance")
    if part not in ("2", "3") or conformance not in ("A", "B", "U"):
        problems.append(
            f"XMP 中的 PDF/A 标识不是 PDF/A-2 或 PDF/A-3（part={part}，conformance={conformance}）"
        )
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else {}
    for key, (prefix, name) in _INFO_TO_XMP.items():
        if key not in info:
            continue
        ours, theirs = str(info[key]), _xmp_value(xmp, prefix, name)
        if key.endswith("Date"):
            same = _pdf_instant(ours) == _xmp_instant(theirs)
        else:
            same = ours == theirs
        if not same:
            problems.append(
                f"文档信息 {key[1:]}（{ours}）与 XMP 的 {prefix}:{name}（{theirs}）不一致"
            )
    return problems


def _xmp_value(xmp: ET.Element, prefix: str, name: str) -> str | None:
    """A simple property of the XMP, as an attribute or an element (the first ``rdf:li`` of
    an array or alternative)."""
    tag = f"{{{_NS[prefix]}}}{name}"
    for description in xmp.iter(f"{{{_NS['rdf']}}}Description"):
        if tag in description.attrib:
            return description.attrib[tag]
        element = description.find(tag)
        if element is not None:
            item = element.find(".//rdf:li", _NS)
            return (item.text if item is not None else element.text) or ""
    return None


def _pdf_instant(text: str) -> datetime | None:
    match = _PDF_DATE.match(text)
    if match is None:
        return None
    defaults = (0, 1, 1, 0, 0, 0)
    year, month, day, hour, minute, second = (
        int(g) if g else d for g, d in zip(match.groups()[:6], defaults, strict=True)
    )
    zone = (match.group(7) or "Z").replace("'", "")
    if zone in ("Z", "z"):
        tz = UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5] or 0)))
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


def _xmp_instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _intent_problems(reader: PdfReader) -> list[str]:
    root: Any = reader.trailer["/Root"].get_object()
    intents = [i.get_object() for i in (root.get("/OutputIntents") or [])]
    pdfa = [i for i in intents if i.get("/S") == "/GTS_PDFA1"]
    if not pdfa:
        return ["没有 PDF/A 输出意图（OutputIntent /GTS_PDFA1）"]
    profiles = {id(i["/DestOutputProfile"].get_object()) for i in pdfa if "/DestOutputProfile" in i}
    if len(pdfa) != 1 or len(profiles) != 1:
        return ["PDF/A 输出意图不是唯一一个带 ICC 描述文件的"]
    profile = pdfa[0]["/DestOutputProfile"].get_object()
    data = profile.get_data()
    space = data[16:20]
    components = {b"RGB ": 3, b"GRAY": 1, b"CMYK": 4}.get(space)
    if len(data) < 128 or data[36:40] != b"acsp" or components is None:
        return ["输出意图的目标描述文件不是有效的 ICC 描述文件"]
    if int(profile.get("/N", 0)) != components:
        return [f"输出意图的 ICC 描述文件 /N={profile.get('/N')} 与其颜色空间不符"]
    return []


def _page_problems(number: int, page: Any) -> list[str]:
    problems: list[str] = []
    if "/AA" in page:
        problems.append(f"第 {number} 页含有附加动作（/AA）")
    for annot in (a.get_object() for a in (page.get("/Annots") or [])):
        subtype = annot.get("/Subtype")
        flags = int(annot.get("/F", 0))
        if subtype != "/Popup" and (not flags & 4 or flags & (2 | 32 | 256)):
            problems.append(f"第 {number} 页的注释（{subtype}）不可打印或被隐藏")
        if subtype not in ("/Link", "/Popup") and "/AP" not in annot:
            problems.append(f"第 {number} 页的注释（{subtype}）没有外观流")
        action = annot.get("/A")
        if action is not None and action.get_object().get("/S") in ("/JavaScript", "/Launch"):
            problems.append(f"第 {number} 页的注释执行 {action.get_object().get('/S')} 动作")
    for where, resources in _resources(page):
        problems += [f"第 {number} 页{where}：{p}" for p in _resource_problems(resources)]
    return problems


def _resources(page: Any) -> Iterator[tuple[str, Any]]:
    """The page's resources, its form XObjects' and its annotation appearances', each once."""
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("", page.get("/Resources"))]
    for annot in (a.get_object() for a in (page.get("/Annots") or [])):
        for state in (annot.get("/AP") or {}).values():
            state = state.get_object()
            streams = [state] if hasattr(state, "get_data") else list(state.values())
            for stream in streams:
                stream = stream.get_object()
                stack.append(("的注释外观", stream.get("/Resources")))
    while stack:
        where, resources = stack.pop()
        if resources is None:
            continue
        resources = resources.get_object()
        if id(resources) in seen:
            continue
        seen.add(id(resources))
        yield where, resources
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                stack.append((where or "的表单对象", xobject.get("/Resources")))


def _resource_problems(resources: Any) -> list[str]:
    problems = []
    for font in (f.get_object() for f in (resources.get("/Font") or {}).values()):
        if not _font_embedded(font):
            name = str(font.get("/BaseFont", "?")).lstrip("/")
            problems.append(f"字体 {name} 未嵌入")
    for xobject in (x.get_object() for x in (resources.get("/XObject") or {}).values()):
        problems += _stream_problems(xobject)
        if xobject.get("/Subtype") != "/Image":
            continue
        if xobject.get("/ColorSpace") == "/DeviceCMYK":
            problems.append("图像使用 DeviceCMYK 颜色而输出意图不是 CMYK")
        if xobject.get("/Interpolate") is True:
            problems.append("图像要求插值（/Interpolate true）")
        if "/Alternates" in xobject or "/OPI" in xobject:
            problems.append("图像含有替代图像（/Alternates）或 /OPI")
    return problems


def _stream_problems(stream: Any) -> list[str]:
    if "/F" in stream:
        return ["流的内容在外部文件中（/F）"]
    filters = stream.get("/Filter")
    filters = [filters] if not isinstance(filters, list) else filters
    return ["流使用 LZW 压缩"] if "/LZWDecode" in filters else []


def _font_embedded(font: Any) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True
    descriptor = font.get("/FontDescriptor")
    descendants = font.get("/DescendantFonts")
    if descendants is not None:
        descriptor = descendants.get_object()[0].get_object().get("/FontDescriptor")
    if descriptor is None:
        return False
    keys = descriptor.get_object().keys()
    return any(k in keys for k in ("/FontFile", "/FontFile2", "/FontFile3"))
