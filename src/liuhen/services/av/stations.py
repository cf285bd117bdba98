"""Docking stations (采集站): machines that upload footage over the HTTP API with a token.

A station acts as the custodian account it is tied to (``user_id``), optionally for one
registered device. Its bearer token is shown once when issued (``liuhen station add``);
only the token's SHA-256 is kept, so a leaked database does not leak working tokens.
Issuing and revoking are ledger events that carry the row's digest (``stations`` is a
tracked table): ``liuhen verify`` names a token row the ledger did not write, and
``authenticate_station`` refuses a token whose row differs from its newest event's digest
(read in the same statement as the row). Tokens issued before that are adopted once
(``adopt_stations``, run by ``liuhen init``) when the ledger recorded their issue.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from liuhen.errors import AuthError, Conflict, InvalidInput, NotFound
from liuhen.ledger.canonical import digest
from liuhen.ledger.events import Actor
from liuhen.services.admin.users import User, find_user, get_user
from liuhen.services.av.queries.devices import device_serial, registered_device_id
from liuhen.services.av.queries.stations import (
    Recorded,
    live_station_named,
    lock_station,
    station_by_token_hash,
    station_row,
    station_rows,
    unrecorded_stations,
)
from liuhen.services.permissions import require
from liuhen.store.rows import row_digest
from liuhen.store.store import Store
from liuhen.store.unit import new_id

TOKEN_PREFIX = "lhs_"


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    user: User
    device_id: str | None
    device_serial: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def actor(self) -> Actor:
        """The custodian account, labelled with the station it speaks through."""
        label = f"采集站 {self.name}（{self.user.display_name}，{self.user.username}）"
        return replace(self.user.actor, label=label)  # the account's agency, section, officer

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "user": self.user.username,
            "device": self.device_serial,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def add_station(
    store: Store, actor: Actor, *, name: str, username: str, device: str | None = None
) -> tuple[Station, str]:
    """Register a station acting as ``username``; return it and its token (shown only now)."""
    require(actor, "device.manage")
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("name: 采集站名称不能为空，且不超过 100 个字符")
    user = find_user(store, username)
    if user is None or user.disabled:
        raise InvalidInput(f"user: 用户 {username} 不存在或已停用")
    if "av.upload" not in _actions(user):
        raise InvalidInput(f"user: 用户 {username} 无“上传音像记录”权限，不能作为采集站账号")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    station_id = new_id()
    with store.transaction(actor) as tx:
        device_id = None
        if device:
            device_id = registered_device_id(tx.conn, device)
            if device_id is None:
                raise InvalidInput(f"device: 设备 {device} 尚未登记，请先登记设备")
        clash = live_station_named(tx.conn, name)
        if clash is not None:
            raise Conflict(f"name: 已有名为 {name} 的采集站（{clash}），请换一个名称或先吊销旧的")
        row = {
            "id": station_id,
            "name": name,
            "token_hash": token_hash(token),
            "user_id": user.id,
            "device_id": device_id,
            "created_by": actor.id or "system",
            "created_at": store.clock(),
            "revoked_at": None,
        }
        try:
            tx.insert("stations", row)
        except Conflict:  # the same name issued at this moment by another process
            raise Conflict(f"name: 已有名为 {name} 的采集站，请换一个名称或先吊销旧的") from None
        tx.record(
            "station.added",
            subject_type="station",
            subject_id=station_id,
            payload={"name": name, "user": user.username, "device_id": device_id},
        )
    return get_station(store, station_id), token


def revoke_station(store: Store, actor: Actor, station_id: str) -> Station:
    require(actor, "device.manage")
    with store.transaction(actor) as tx:
        row = lock_station(tx.conn, station_id)
        if row is None:
            raise NotFound(f"station: 采集站 {station_id} 不存在")
        if row["revoked_at"] is not None:
            raise Conflict(f"采集站 {row['name']} 的令牌已于 {row['revoked_at']} 吊销")
        tx.update("stations", station_id, {"revoked_at": store.clock()})
        tx.record("station.revoked", subject_type="station", subject_id=station_id)
    return get_station(store, station_id)


def get_station(store: Store, station_id: str) -> Station:
    found = station_row(store, station_id)
    if found is None:
        raise NotFound(f"station: 采集站 {station_id} 不存在")
    return _station(store, found)


def list_stations(store: Store, actor: Actor) -> list[Station]:
    require(actor, "device.manage")
    return [_station(store, r) for r in station_rows(store)]


def authenticate_station(store: Store, token: str) -> Station:
    """The station holding ``token``; ``AuthError`` if unknown, revoked or its user disabled."""
    if not token.startswith(TOKEN_PREFIX):
        raise AuthError("采集站令牌无效：请使用 liuhen station add 签发的令牌")
    found = station_by_token_hash(store, token_hash(token))
    if found is None:
        raise AuthError("采集站令牌无效：请使用 liuhen station add 签发的令牌")
    row, recorded = found
    if not _as_recorded(row, recorded):
        raise AuthError(
            f"采集站 {row['name']} 的令牌记录与全过程日志不符（在系统之外被插入或改动）："
            "请运行 liuhen verify 查明，吊销后用 liuhen station add 重新签发"
        )
    if row["revoked_at"] is not None:
        raise AuthError(f"采集站 {row['name']} 的令牌已吊销：请向音像管理员申请新令牌")
    station = _station(store, row)
    if station.user.disabled:
        raise AuthError(f"采集站 {row['name']} 所属账号已停用")
    return station


def _as_recorded(row: Mapping[str, Any], recorded: Recorded) -> bool:
    """True when the station's newest ledger event is covered by a signed checkpoint, is
    intact in itself (its payload has the digest the event was chained with) and records
    this very row's digest. Cheap (no chain or signature is checked: ``verify`` does that),
    but a row inserted or edited in the database, even with an event appended for it, fails."""
    payload = recorded.payload
    if recorded.seq is None or recorded.seq >= recorded.signed_size:
        return False
    if not isinstance(payload, dict) or digest(payload) != recorded.payload_digest:
        return False
    wanted = {"table": "stations", "key": row["id"], "digest": row_digest("stations", row)}
    rows = payload.get("rows")
    return isinstance(rows, list) and wanted in rows


def adopt_stations(store: Store) -> tuple[list[str], list[str]]:
    """Take under the ledger the tokens issued before the stations table was ledger-written:
    each row whose issue (and, if revoked, revocation) the ledger recorded gets one
    ``station.adopted`` event carrying its digest. A row the ledger never mentions is left
    out: ``verify`` reports it and the API refuses it. Returns the names adopted and the
    names left out."""
    adopted: list[str] = []
    left_out: list[str] = []
    with store.transaction(Actor.system("升级：采集站令牌纳入全过程日志")) as tx:
        for row, actions in unrecorded_stations(tx.conn):
            revoked = row["revoked_at"] is not None
            if "station.added" not in actions or (revoked and "station.revoked" not in actions):
                left_out.append(str(row["name"]))
                continue
            tx.adopt("stations", row["id"])
            tx.record(
                "station.adopted",
                subject_type="station",
                subject_id=row["id"],
                payload={"name": row["name"], "revoked": row["revoked_at"] is not None},
            )
            adopted.append(str(row["name"]))
    return adopted, left_out


def _station(store: Store, row: Mapping[str, Any]) -> Station:
    user = get_user(store, row["user_id"])
    assert user is not None
    serial = None
    if row["device_id"]:
        serial = device_serial(store, row["device_id"])
    return Station(
        id=row["id"],
        name=row["name"],
        user=user,
        device_id=row["device_id"],
        device_serial=serial,
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


def _actions(user: User) -> frozenset[str]:
    from liuhen.services.permissions import actions_for

    return actions_for(user.roles)
