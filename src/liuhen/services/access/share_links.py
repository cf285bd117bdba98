"""Hand-over links for the copies of a granted request: approved, expiring, single-purpose.

A link is a random token given once to staff to pass on; only its SHA-256 is stored. It
opens exactly the copies of one request (``targets``), until ``expires_at`` (the period
is ``LIUHEN_SHARE_LINK_DAYS``) and for ``max_uses`` downloads (``LIUHEN_SHARE_LINK_USES``,
each file downloaded counts one). ``share_links`` is insert-only: every opening, download,
refused attempt and revocation is a ledger event, and the uses are counted from the ledger.
No record is reachable without login except through such a link (000§19, 001§15).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from liuhen.errors import Conflict, Gone, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.access.queries.files import record_file, record_file_sha
from liuhen.services.access.queries.links import (
    USE,
    count_actions,
    link_by_token_hash,
    link_case_id,
    link_state,
)
from liuhen.services.access.queries.requests import get_request
from liuhen.services.permissions import require, require_case
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id


@dataclass(frozen=True)
class IssuedLink:
    id: str
    token: str
    path: str
    expires_at: datetime
    max_uses: int


@dataclass(frozen=True)
class SharedFile:
    index: int
    record_id: str
    position: int
    file_name: str
    media_type: str
    size: int


@dataclass(frozen=True)
class Shared:
    link_id: str
    request_number: str
    requester: str
    expires_at: datetime
    uses_left: int
    files: list[SharedFile]


@dataclass(frozen=True)
class SharedRead:
    file_name: str
    media_type: str
    size: int
    chunks: Iterator[bytes]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(
    store: Store, actor: Actor, request_id: str, *, case: Mapping[str, Any] | None = None
) -> IssuedLink:
    """A new link to the request's copies; the token is returned once and never stored.
    ``case``: the request's case as the permission check loaded it (not read again)."""
    require(actor, "access.request")
    request = get_request(store, actor, request_id, _checked=True, case=case)
    require_case(store, actor, "access.request", request.case_id, case)
    if request.kind != "copy" or request.status not in ("approved", "delivered", "expired"):
        raise Conflict("只有已批准的复制申请才能生成交付链接")
    if not request.copies:
        raise Conflict("复制件尚未制作完成，无法生成交付链接；请先制作复制件")
    targets = [
        {"record_id": c["id"], "position": f["position"]}
        for c in request.copies
        for f in c["files"]
    ]
    token = secrets.token_urlsafe(32)
    now = store.clock()
    link_id = new_id()
    expires = now + timedelta(days=store.settings.share_link_days)
    uses = store.settings.share_link_uses
    with store.transaction(actor) as tx:
        tx.insert(
            "share_links",
            {
                "id": link_id,
                "token_hash": token_hash(token),
                "request_id": request_id,
                "purpose": "access_copy",
                "targets": targets,
                "expires_at": expires,
                "max_uses": uses,
                "created_by": actor.id or "system",
                "created_at": now,
            },
        )
        tx.record(
            "share.issued",
            subject_type="share_link",
            subject_id=link_id,
            case_id=request.case_id,
            payload={
                "access_request_id": request_id,
                "request_number": request.number,
                "expires_at": expires.isoformat(),
                "max_uses": uses,
                "files": len(targets),
            },
        )
    return IssuedLink(link_id, token, f"/share/{token}", expires, uses)


def revoke_link(store: Store, actor: Actor, link_id: str, reason: str) -> None:
    require(actor, "access.request")
    owner = link_case_id(store, link_id)
    if owner is None:
        raise NotFound(f"link: 交付链接 {link_id} 不存在")
    require_case(store, actor, "access.request", owner)
    if not reason.strip():
        raise InvalidInput("reason: 撤销链接须写明理由")
    with store.transaction(actor) as tx:
        tx.hold_head()  # revocations of one link are then decided one after another
        row = tx.get("share_links", link_id)
        if row is None:
            raise NotFound(f"link: 交付链接 {link_id} 不存在")
        if count_actions(tx.conn, [link_id], "share.revoked"):
            raise Conflict(f"link: 交付链接 {link_id} 已被撤销，无需再次撤销")
        request = tx.get("access_requests", row["request_id"])
        tx.record(
            "share.revoked",
            subject_type="share_link",
            subject_id=link_id,
            case_id=request["case_id"] if request else None,
            payload={"reason": reason.strip()},
        )


def _visitor(request: Any) -> Actor:
    """Whoever holds the link: no user, no role; named by the request it serves."""
    number = request["details"]["number"] if request else "?"
    return Actor(id=None, label=f"交付链接持有人（{number}）", roles=())


def _open(tx: Tx, token: str, now: datetime, client: str) -> tuple[Any, Any, int]:
    """The link row, its request and uses so far, or Gone (logged) / NotFound."""
    # lock the ledger head first: counting uses and adding one is then serialised
    tx.hold_head()
    row = link_by_token_hash(tx.conn, token_hash(token))
    if row is None:
        raise NotFound("链接无效：请核对链接是否完整，或向办案机关询问")
    request = tx.get("access_requests", row["request_id"]) if row["request_id"] else None
    uses = count_actions(tx.conn, [row["id"]], USE).get(row["id"], 0)
    revoked = bool(count_actions(tx.conn, [row["id"]], "share.revoked"))
    state = link_state(row, uses, revoked, now)
    if not state["active"]:
        tx.actor = _visitor(request)
        tx.record(
            "share.refused",
            subject_type="share_link",
            subject_id=row["id"],
            case_id=request["case_id"] if request else None,
            payload={"why": state["ended"], "client": client},
        )
    return row, request, uses


def open_shared(store: Store, token: str, *, client: str = "") -> Shared:
    """What a link shows (its files), logged as an opening; Gone when it has ended."""
    now = store.clock()
    ended = ""
    with store.transaction(Actor(id=None, label="交付链接持有人", roles=())) as tx:
        row, request, uses = _open(tx, token, now, client)
        state = link_state(row, uses, False, now)
        if tx.events:  # refused and logged
            ended = _ended_message(row, now, uses)
        else:
            tx.actor = _visitor(request)
            tx.record(
                "share.viewed",
                subject_type="share_link",
                subject_id=row["id"],
                case_id=request["case_id"] if request else None,
                payload={"client": client},
            )
            files = _files(tx, row["targets"], store)
    if ended:
        raise Gone(ended)
    return Shared(
        link_id=row["id"],
        request_number=request["details"]["number"] if request else "",
        requester=request["requester"]["name"] if request else "",
        expires_at=row["expires_at"],
        uses_left=max(0, row["max_uses"] - state["uses"]),
        files=files,
    )


def read_shared(store: Store, token: str, index: int, *, client: str = "") -> SharedRead:
    """Download file ``index`` of a link: one use, logged; Gone when the link has ended."""
    now = store.clock()
    ended = ""
    with store.transaction(Actor(id=None, label="交付链接持有人", roles=())) as tx:
        row, request, uses = _open(tx, token, now, client)
        if tx.events:
            ended = _ended_message(row, now, uses)
        else:
            files = _files(tx, row["targets"], store)
            if not 1 <= index <= len(files):
                raise NotFound(f"file: 该链接没有第 {index} 个文件")
            chosen = files[index - 1]
            sha = record_file_sha(tx.conn, chosen.record_id, chosen.position)
            tx.actor = _visitor(request)
            tx.record(
                USE,
                subject_type="share_link",
                subject_id=row["id"],
                case_id=request["case_id"] if request else None,
                payload={
                    "record_id": chosen.record_id,
                    "position": chosen.position,
                    "sha256": sha,
                    "use": uses + 1,
                    "client": client,
                },
            )
    if ended:
        raise Gone(ended)
    chunks = store.blobs.read_range(sha, 0, chosen.size - 1) if chosen.size else iter(())
    return SharedRead(chosen.file_name, chosen.media_type, chosen.size, chunks)


def _ended_message(row: Any, now: datetime, uses: int) -> str:
    if now >= row["expires_at"]:
        return "该下载链接已过期，复制件不能再下载。如仍需要，请向办案机关重新申请。"
    if uses >= row["max_uses"]:
        return "该下载链接的下载次数已用完，复制件不能再下载。如仍需要，请向办案机关重新申请。"
    return "该下载链接已被办案机关撤销。如有疑问，请向办案机关询问。"


def _files(tx: Tx, targets: list[dict[str, Any]], store: Store) -> list[SharedFile]:
    out = []
    for index, target in enumerate(targets, start=1):
        f = record_file(tx.conn, target["record_id"], target["position"])
        out.append(
            SharedFile(
                index=index,
                record_id=f["record_id"],
                position=f["position"],
                file_name=f["file_name"],
                media_type=f["media_type"],
                size=store.blobs.size(f["blob_sha256"]),
            )
        )
    return out
