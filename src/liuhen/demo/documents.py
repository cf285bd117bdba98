"""Sample documents: a believable filled document of every kind in the catalogue.

They are the text records of the case bundles in ``samples/``: the township's 李建华占道经营
penalty case and a 简易程序 decision, the forestry bureau's 张富贵滥伐林木 case and an
inspection of a logging company with its order to rectify and the re-inspection.
``sample_document(kind)`` reads one back as the ``FilledDocument`` an officer would have
filled in: the inverse of how a filled document is stored as a text record
(``services.documents.record_details``), signatures in the order of the kind's boxes.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from liuhen.demo import data
from liuhen.documents.catalogue import get_kind
from liuhen.documents.model import FilledDocument, OfficerPresent, Signature
from liuhen.documents.values import parse_datetime


@cache
def _records() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Kind code -> (its bundle, its text record)."""
    found: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for name in data.bundle_names("samples"):
        bundle = data.read(name)
        for record in bundle.get("text_records", []):
            found[record["kind"]] = (bundle, record)
    return found


def sample_kinds() -> list[str]:
    """The kind codes that have a sample, sorted."""
    return sorted(_records())


def sample_document(kind_code: str) -> FilledDocument:
    """A complete, valid filled document of ``kind_code`` (KeyError for an unknown code)."""
    bundle, record = _records()[kind_code]
    officers = {o["id"]: o for o in bundle.get("officers", [])}
    signatures = [
        Signature(
            s["role"],
            s["name"],
            parse_datetime(s.get("signed_at")),
            method=s.get("method", "signature"),
        )
        for s in record.get("signatures", [])
    ] + [
        Signature(
            r["role"],
            r.get("name", ""),
            refused=True,
            refusal_reason=r.get("reason", ""),
            witness=r.get("witness", ""),
        )
        for r in record.get("refusals", [])
    ]
    boxes = [box.role for box in get_kind(kind_code).signatures]
    signatures.sort(key=lambda s: boxes.index(s.role) if s.role in boxes else len(boxes))
    return FilledDocument(
        kind_code,
        record.get("number", ""),
        bundle["agency"]["name"],
        copy.deepcopy(record.get("fields", {})),
        signatures=tuple(signatures),
        officers=tuple(
            OfficerPresent(officers[o]["name"], officers[o].get("certificate_number") or "")
            for o in record.get("officer_ids", [])
        ),
        certificates_shown=record.get("certificates_shown"),
        sealed=bool(record.get("sealed", False)),
    )
