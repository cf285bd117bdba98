"""The handwritten signatures in an archive package: each PNG drawn on the screen (issue 16)
is its own file under ``data/documents/signatures/``, listed in ``files.json`` as a file of
its document (role ``signature``) and in both manifests, so ``verify-package`` checks it
like every file and that every signature the case bundle names is there."""

from __future__ import annotations

from typing import Any

from liuhen.archive.case_file import RecordFile
from liuhen.archive.package import safe_name
from liuhen.services.archiving.queries.packages import blob_facts
from liuhen.store.store import Store


def signature_files(
    store: Store, records: list[dict[str, Any]], taken: set[str]
) -> list[RecordFile]:
    """Each handwritten signature (the PNG drawn on the screen) of the current documents, as
    a file of its document beside the PDF that prints it (``signature`` role): its digests
    in the manifests, ``verify-package`` checks each is there."""
    wanted = [
        (record, n, s)
        for record in records
        if record["kind"] == "text"
        for n, s in enumerate((record["details"] or {}).get("signatures") or [], 1)
        if s.get("image_sha256")
    ]
    facts = blob_facts(store, sorted({str(s["image_sha256"]) for _, _, s in wanted}))
    out = []
    for record, n, s in wanted:
        sha = str(s["image_sha256"])
        if sha not in facts:
            continue  # no longer stored (disposed of with its document's files)
        name = safe_name(f"{record['title']}-签名{n}-{s.get('name', '')}.png")
        path = f"documents/signatures/{record['id'][:8]}-{n:02d}-{name}"
        if path in taken:
            continue
        taken.add(path)
        sm3, size = facts[sha]
        out.append(
            RecordFile(
                record_id=record["id"],
                role="signature",
                file_name=name,
                media_type="image/png",
                sha256=sha,
                sm3=sm3,
                size=size,
                path=f"data/{path}",
            )
        )
    return out
