"""执法文书: the catalogue of enforcement document kinds, filled documents, PDF and .docx.

    from liuhen.documents import default_catalogue, FilledDocument, validate
    from liuhen.documents.render_pdf import render_pdf      # WeasyPrint, embedded CJK fonts
    from liuhen.documents.render_docx import render_docx    # python-docx, w:eastAsia fonts
    from liuhen.demo.documents import sample_document       # a believable document of a kind

``catalogue.yaml`` is the data (kinds, fields, signature boxes, citations); ``model`` holds
the types and ``validate``; ``content`` turns a filled document into the rows both renderers
draw. Nothing here touches a database or the web: services store what these functions return.
The renderers are imported on use, so reading the catalogue does not load WeasyPrint.
"""

from __future__ import annotations

from liuhen.documents.catalogue import (
    Catalogue,
    default_catalogue,
    get_kind,
    load_catalogue,
    validate,
)
from liuhen.documents.model import (
    DocumentKind,
    FieldSpec,
    FilledDocument,
    OfficerPresent,
    Signature,
    SignatureSpec,
)

__all__ = [
    "Catalogue",
    "DocumentKind",
    "FieldSpec",
    "FilledDocument",
    "OfficerPresent",
    "Signature",
    "SignatureSpec",
    "default_catalogue",
    "get_kind",
    "load_catalogue",
    "validate",
]
