"""The resumable-upload operation the racing processes run (module level, so a spawned
process can import it): a docking station's whole upload, its SHA-256 announced."""

from __future__ import annotations

from pathlib import Path

from liuhen.ledger.events import Actor
from liuhen.store.store import Store

CHUNK = 4 << 20


def upload_announced(store: Store, actor: Actor, path: str, sha256: str) -> str:
    """Create the upload, send the file in one PATCH, finish it: the outcome's status."""
    from liuhen.services.av.shared_uploads import uploads_for

    data = Path(path).read_bytes()
    uploads = uploads_for(store)
    meta = {"filename": Path(path).name, "sha256": sha256}
    info = uploads.create(actor, length=len(data), metadata=meta)
    patch = uploads.open_patch(actor, info.id, 0)
    for start in range(0, len(data), CHUNK):
        patch.write(data[start : start + CHUNK])
    patch.close()
    return str(uploads.finish(actor, info.id)["status"])
