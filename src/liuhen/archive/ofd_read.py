"""Reading an OFD file from a package back, as hostile input: its structure and the text of
each page, so ``verify-package`` can check the rendition against the PDF it renders.

``read_ofd(data)`` walks OFD.xml → DocBody/DocRoot → Document.xml (its Pages and PublicRes)
→ each page's Content.xml, and returns the text of each page in the order it is drawn, or
raises ``OfdInvalid`` naming what is wrong. A ZIP is bounded (entries, sizes) before it is
read, XML with a DOCTYPE is refused (no entity expansion), and paths stay inside the ZIP.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile
import zlib

NS = "http://www.ofdspec.org/2016"
MAX_ENTRIES = 10_000
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024


class OfdInvalid(ValueError):
    """Not an OFD file LiuHen could have written: the sentence says what is wrong."""


def _tag(name: str) -> str:
    return f"{{{NS}}}{name}"


class _Zip:
    def __init__(self, data: bytes) -> None:
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            infos = self.archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise OfdInvalid(f"不是有效的 ZIP 文件（{exc}）") from None
        if len(infos) > MAX_ENTRIES:
            raise OfdInvalid(f"ZIP 条目过多（{len(infos)}）")
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES or any(
            i.file_size > MAX_ENTRY_BYTES for i in infos
        ):
            raise OfdInvalid("ZIP 解压后过大")
        self.names = {i.filename.lstrip("/"): i.filename for i in infos}

    def xml(self, path: str) -> ET.Element:
        name = posixpath.normpath(path.lstrip("/"))
        if name.startswith("..") or name not in self.names:
            raise OfdInvalid(f"缺少 {path}")
        try:
            data = self.archive.read(self.names[name])
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError) as exc:
            raise OfdInvalid(f"{path} 无法解压（{exc}）") from None
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise OfdInvalid(f"{path} 含有 DOCTYPE 或实体声明")
        try:
            return ET.fromstring(data)
        except ET.ParseError as exc:
            raise OfdInvalid(f"{path} 不是有效的 XML（{exc}）") from None


def _text_of(element: ET.Element | None, what: str) -> str:
    if element is None or not (element.text or "").strip():
        raise OfdInvalid(f"缺少 {what}")
    return (element.text or "").strip()


def read_ofd(data: bytes) -> list[str]:
    """The text of each page of the OFD file ``data``, in drawing order."""
    package = _Zip(data)
    entry = package.xml("OFD.xml")
    if entry.tag != _tag("OFD"):
        raise OfdInvalid("OFD.xml 的根元素不是 ofd:OFD")
    root = _text_of(entry.find(f"{_tag('DocBody')}/{_tag('DocRoot')}"), "OFD.xml 的 DocRoot")
    document = package.xml(root)
    base = posixpath.dirname(root.lstrip("/"))
    fonts = _font_ids(package, document, base)
    pages = document.findall(f"{_tag('Pages')}/{_tag('Page')}")
    if not pages:
        raise OfdInvalid(f"{root} 没有页面")
    texts = []
    for number, page in enumerate(pages, start=1):
        location = page.get("BaseLoc") or ""
        if not location:
            raise OfdInvalid(f"{root} 第 {number} 页没有 BaseLoc")
        texts.append(_page_text(package.xml(posixpath.join(base, location)), fonts, number))
    return texts


def _font_ids(package: _Zip, document: ET.Element, base: str) -> set[str]:
    ids: set[str] = set()
    for res in document.findall(f"{_tag('CommonData')}/{_tag('PublicRes')}"):
        resources = package.xml(posixpath.join(base, _text_of(res, "PublicRes")))
        ids |= {f.get("ID", "") for f in resources.iter(_tag("Font"))}
    return ids


def _page_text(page: ET.Element, fonts: set[str], number: int) -> str:
    parts = []
    for text_object in page.iter(_tag("TextObject")):
        if text_object.get("Font") not in fonts:
            raise OfdInvalid(
                f"第 {number} 页的文字对象引用了不存在的字体 {text_object.get('Font')}"
            )
        parts += [code.text or "" for code in text_object.iter(_tag("TextCode"))]
    return "".join(parts)
