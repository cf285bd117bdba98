"""The offline PDF/A check names what a PDF lacks, ``conform`` makes a WeasyPrint page pass
it (or keeps no claim), and the OFD reader treats a package file as hostile input."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import ofdkit
import pytest
import weasyprint  # type: ignore[import-untyped]
from pypdf import PdfWriter

from liuhen.archive.ofd import OfdInfo, pdf_to_ofd
from liuhen.archive.ofd_read import OfdInvalid, read_ofd
from liuhen.archive.pdfa import PdfaInfo, conform
from liuhen.archive.pdfa_check import pdfa_problems

WHEN = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
INFO = PdfaInfo("某某占道经营案", "示范镇人民政府", "案卷 示镇综执立〔2026〕30号", WHEN)


def a_page(text: str = "行政处罚决定书 第 1 页") -> bytes:
    return weasyprint.HTML(string=f"<h1>{text}</h1><p>当事人：李建华</p>").write_pdf()


def test_a_plain_pdf_is_named_for_what_pdfa_asks_and_conform_supplies_it():
    problems = pdfa_problems(a_page())
    assert any("XMP 元数据流" in p for p in problems), problems
    assert any("输出意图" in p for p in problems), problems
    made, left = conform(a_page(), INFO)
    assert left == [] and pdfa_problems(made) == []


def test_a_font_not_embedded_keeps_the_claim_off_and_is_named():
    writer = PdfWriter(clone_from=io.BytesIO(a_page()))
    writer.add_blank_page(595, 842)
    from pypdf.annotations import FreeText

    writer.add_annotation(1, FreeText(text="x", rect=(50, 50, 200, 100), font="Helvetica"))
    out = io.BytesIO()
    writer.write(out)
    made, problems = conform(out.getvalue(), INFO)
    assert problems and pdfa_problems(made)
    assert b"pdfaid" not in made, "no PDF/A claim in a file that does not conform"


def test_info_and_xmp_that_disagree_are_named():
    made, _ = conform(a_page(), INFO)
    writer = PdfWriter(clone_from=io.BytesIO(made))
    writer.add_metadata({"/Title": "另一个题名"})
    out = io.BytesIO()
    writer.write(out)
    assert any("Title" in p and "dc:title" in p for p in pdfa_problems(out.getvalue()))


def test_an_encrypted_or_unreadable_file_is_a_finding():
    writer = PdfWriter(clone_from=io.BytesIO(a_page()))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    assert any("加密" in p for p in pdfa_problems(out.getvalue()))
    assert pdfa_problems(b"not a pdf")


def test_ofd_of_a_page_reads_back_with_its_text_in_both_readers():
    ofd = pdf_to_ofd(a_page(), OfdInfo("决定书", "示范镇人民政府", "示镇综执罚〔2026〕12号", WHEN))
    assert "".join(read_ofd(ofd)[0].split()) == "行政处罚决定书第1页当事人：李建华"
    with zipfile.ZipFile(io.BytesIO(ofd)) as archive:
        fonts = archive.read("Doc_0/PublicRes.xml").decode("utf-8")
    assert 'Bold="true"' in fonts and 'FamilyName="宋体"' in fonts, fonts
    with ofdkit.open(ofd) as doc:
        assert doc.info.author == "示范镇人民政府" and "当事人：李建华" in doc.text()
        [page] = doc.pages
        assert round(page.width) == 210 and round(page.height) == 297


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: b"not a zip", "ZIP"),
        (lambda f: _zip({k: v for k, v in f.items() if k != "OFD.xml"}), "缺少 OFD.xml"),
        (
            lambda f: _zip({**f, "OFD.xml": b'<!DOCTYPE x [<!ENTITY a "b">]>' + f["OFD.xml"]}),
            "DOCTYPE",
        ),
        (lambda f: _zip({**f, "Doc_0/PublicRes.xml": f["Doc_0/PublicRes.xml"][:40]}), "XML"),
        (
            lambda f: _zip(
                {
                    **f,
                    "Doc_0/Document.xml": f["Doc_0/Document.xml"].replace(
                        b"Pages/Page_0", b"../../etc/Page_0"
                    ),
                }
            ),
            "缺少",
        ),
    ],
)
def test_a_broken_ofd_is_named_not_a_traceback(mutate, message):  # type: ignore[no-untyped-def]
    ofd = pdf_to_ofd(a_page(), OfdInfo("决定书", "机关", "文号", WHEN))
    with zipfile.ZipFile(io.BytesIO(ofd)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    with pytest.raises(OfdInvalid, match=message):
        read_ofd(mutate(files))
