"""After a kill: the next start, then what must hold of the store (the campaign's oracle).

``next_start`` opens the store as ``liuhen serve`` and every writing command do
(``Store.open`` then ``recovery.recover``). ``problems`` then lists, each naming what it saw:

- an orphan: a stored object no ``blobs`` row refers to, or a row without its object;
- a temporary file: a blob temp file or marker, a journalled or partial export, a scratch
  folder, upload staging that no upload refers to (a paused upload is not one), and
  ``recovery.leftovers`` at any age;
- an event without its object: ``blob.stored`` without the blob, ``case.exported`` (an
  export) without its package at ``--out`` passing ``verify-package``, ``av.upload_started``
  without its upload, ``av.upload_finished`` naming a record that does not exist;
- ``liuhen verify`` not exiting 0.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from liuhen.config import Settings
from liuhen.services.archiving.recovery import Recovery, leftovers, recover
from liuhen.store import tables as t
from liuhen.store.checkpoint_log import newest_in
from liuhen.store.store import Store
from tests.crash.world import env_of
from tests.helpers import run_cli


def next_start(settings: Settings) -> Recovery:
    store = Store.open(settings)
    try:
        return recover(store)
    finally:
        store.close()


def problems(settings: Settings, exports: Path) -> list[str]:
    store = Store.open(settings)
    try:
        with store.read() as conn:
            rows = {r[0] for r in conn.execute(select(t.blobs.c.sha256))}
            records = {r[0] for r in conn.execute(select(t.records.c.id))}
            events = [
                dict(r)
                for r in conn.execute(
                    select(t.ledger_events).where(
                        t.ledger_events.c.action.in_(
                            (
                                "blob.stored",
                                "case.exported",
                                "av.upload_started",
                                "av.upload_finished",
                                "av.upload_expired",
                                "av.upload_terminated",
                            )
                        )
                    )
                ).mappings()
            ]
        found = _orphans(store, rows)
        found += _temporary(store, settings, exports)
        found += _events(store, events, rows, records)
        found += [f"遗留：{x.kind} {x.where}" for x in leftovers(store, timedelta(0))]
    finally:
        store.close()
    return found + _verify(settings)


def logged_size(settings: Settings) -> int:
    """The largest tree a checkpoint in the data directory's log signs (0 when none)."""
    return max(0, newest_in(settings.checkpoint_log_path) or 0)


def acknowledged(settings: Settings, stdout: str, logged: int) -> list[str]:
    """Every view or write the killed process acknowledged (``acked <seq> <subject>`` lines) is on
    the ledger under that seq, and was covered by a signed checkpoint in the log (of
    ``logged`` events, read before the next start) when it was acknowledged."""
    whole = (re.fullmatch(r"acked (\d+) (crash-\d+-\d+)", line) for line in stdout.splitlines())
    acked = {int(m[1]): m[2] for m in whole if m}  # a line the kill cut was never an answer
    if not acked:
        return []
    store = Store.open(settings)
    try:
        with store.read() as conn:
            events = t.ledger_events
            found = dict(
                conn.execute(
                    select(events.c.seq, events.c.subject_id).where(events.c.seq.in_(list(acked)))
                ).all()
            )
    finally:
        store.close()
    lost = [
        f"已确认的事件 #{seq}（{subject}）不在日志中"
        for seq, subject in sorted(acked.items())
        if found.get(seq) != subject
    ]
    if max(acked) >= logged:
        lost.append(f"已确认的事件 #{max(acked)} 不在检查点日志所签的树中（{logged} 件）")
    return lost


def _orphans(store: Store, rows: set[str]) -> list[str]:
    stored = set(store.blobs.iter_keys())
    return [f"孤立文件（无记录）：{k}" for k in sorted(stored - rows)] + [
        f"记录无文件：{k}" for k in sorted(rows - stored)
    ]


def _temporary(store: Store, settings: Settings, exports: Path) -> list[str]:
    blobs = Path(store.blobs.describe())
    found = [f"临时文件：{p}" for d in ("tmp", "pending") for p in _files(blobs / d)]
    found += [f"导出记录未清：{p}" for p in _files(settings.data_dir / "exports-pending")]
    found += [f"导出临时目录：{p}" for p in _files(exports, deep=False) if ".partial-" in p.name]
    found += [f"临时目录：{p}" for p in _files(settings.data_dir / "tmp")]
    folder = settings.uploads_dir
    for name in sorted(os.listdir(folder)) if folder.is_dir() else []:
        path = folder / name
        upload, _, kind = name.partition(".")
        if kind == "json":
            continue
        if kind == "part" and _receiving(folder / f"{upload}.json"):
            continue  # a paused upload: kept for the station to resume
        found.append(f"上传暂存残留：{path}")
    return found


def _receiving(info: Path) -> bool:
    import json

    try:
        return bool(json.loads(info.read_text("utf-8"))["state"] != "done")
    except (OSError, ValueError, KeyError):
        return False


def _files(folder: Path, *, deep: bool = True) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(folder.rglob("*") if deep else folder.iterdir())


def _events(
    store: Store, events: list[dict[str, Any]], rows: set[str], records: set[str]
) -> list[str]:
    from liuhen.archive.verify_package import verify_package

    found = []
    ended = {
        e["subject_id"]
        for e in events
        if e["action"] in ("av.upload_finished", "av.upload_expired", "av.upload_terminated")
    }
    for e in events:
        seq, payload, action = e["seq"], e["payload"], e["action"]
        if action == "blob.stored" and e["subject_id"] not in rows:
            found.append(f"事件 #{seq} blob.stored 无文件记录")
        elif action == "case.exported" and payload.get("format") == "bagit":
            if payload.get("purpose", "export") != "export":
                continue
            out = _package_of(store, payload)
            report = verify_package(out) if out is not None else None
            if report is None or not report.ok:
                found.append(f"事件 #{seq} case.exported 无完整归档包（{out}）")
        elif action == "av.upload_started" and e["subject_id"] not in ended:
            if not (store.settings.uploads_dir / f"{e['subject_id']}.json").exists():
                found.append(f"事件 #{seq} av.upload_started 的上传不存在")
        elif action == "av.upload_finished" and payload.get("record_id"):
            if payload["record_id"] not in records:
                found.append(f"事件 #{seq} av.upload_finished 的记录不存在")
    return found


def _package_of(store: Store, payload: dict[str, Any]) -> Path | None:
    """The package an export event names (``--out`` is beside the point's data dir)."""
    out = store.settings.data_dir.parent / "exports" / str(payload.get("package"))
    return out if out.is_dir() else None


def _verify(settings: Settings) -> list[str]:
    env = env_of(settings)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        result = run_cli(["verify", "--json"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if result.code == 0:
        return []
    try:
        listed = [f"{p['kind']} {p['object']}" for p in result.json()["problems"]]
    except (ValueError, KeyError, TypeError):
        listed = [result.err.strip()[:300]]
    return [f"liuhen verify 退出码 {result.code}：{'；'.join(listed[:5])}"]
