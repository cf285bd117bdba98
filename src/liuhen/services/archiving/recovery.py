"""The next start after a crash: what killed processes left is removed or completed.

``recover(store)`` runs where a process opens the store to work in it: ``liuhen serve`` and
every command but the read-only ones (``cli.context.open_store``). In order:

1. the store itself (``store.recovery``): ingest temp files, blobs put in place whose row
   never committed, copies of the checkpoint log behind the database;
2. exports cut short (``export_recovery``): a partial folder without an export event is
   removed, one whose event was recorded is completed, so no export event lacks its package;
3. upload staging (``services.av.upload_recovery``): staging files no upload refers to, uploads
   whose start was never recorded, an ingest cut short (put back to be resumed), expired
   uploads; a paused upload is left alone;
4. scratch folders (``store.scratch``).

Every step takes locks without waiting and leaves alone what a live process holds, so it is
safe beside a running server. Each removal or completion is logged (logger
``liuhen.recovery``, warnings in Chinese). ``leftovers(store, older_than)`` reads only: what
is still there (for ``liuhen verify`` to report).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from liuhen.errors import LiuhenError
from liuhen.services.archiving.export_recovery import recover_exports, stale_exports
from liuhen.services.av.shared_uploads import uploads_for
from liuhen.services.av.upload_recovery import recover_uploads, stale_staging
from liuhen.store.recovery import StoreRecovery, store_leftovers, store_steps
from liuhen.store.scratch import recover_scratch, stale_scratch
from liuhen.store.store import Store

log = logging.getLogger("liuhen.recovery")
ONE_DAY = timedelta(days=1)


@dataclass
class Recovery:
    store: StoreRecovery = field(default_factory=StoreRecovery)
    exports: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    scratch: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """Steps that could not run (logged as errors; the command goes on)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Leftover:
    kind: str
    """``blob_temp``, ``blob_unregistered``, ``export_partial``, ``export_incomplete``,
    ``upload_staging`` or ``scratch``."""
    where: str
    age_seconds: float
    message: str


def _finish_rotation(store: Store) -> None:
    from liuhen.services.admin.rotation import finish_rotation
    from liuhen.services.archiving.queries.integrity import newest_rotation
    from liuhen.store.keys import next_key_path

    if next_key_path(store.settings.signing_key_path).exists() and store.public_key is not None:
        finish_rotation(store, newest_rotation(store))


def recover(store: Store) -> Recovery:
    """Remove or complete what crashed processes left (see the module docstring)."""
    done = Recovery()

    def step(name: str, action: Callable[[], None]) -> None:
        try:
            action()
        except (LiuhenError, OSError) as exc:
            done.failed.append(f"{name}：{exc}")
            log.error("启动时清理%s未能完成：%s", name, exc)

    step("密钥轮换", lambda: _finish_rotation(store))
    for name, action in store_steps(store, done.store).items():
        step(name, action)
    if done.store.tail_left is not None:
        first, end = done.store.tail_left
        done.failed.append(f"未签名的日志末尾：事件 #{first}–#{end - 1} 未签发检查点")
    step("导出", lambda: done.exports.extend(recover_exports(store)))
    step("上传暂存", lambda: done.uploads.extend(recover_uploads(store)))
    step("过期上传", lambda: done.uploads.extend(_expired(store)))
    step("临时目录", lambda: done.scratch.extend(recover_scratch(store.settings)))
    return done


def _expired(store: Store) -> list[str]:
    removed = uploads_for(store).clean_expired()
    if not removed:
        return []
    log.warning("已删除 %d 个过期未完成的上传", removed)
    return [f"已删除 {removed} 个过期未完成的上传"]


def leftovers(store: Store, older_than: timedelta = ONE_DAY) -> list[Leftover]:
    """What crashes left that no start has removed yet, untouched for ``older_than``; and, at
    any age, every export event whose package a start could not complete. Reads only."""
    seconds = older_than.total_seconds()
    found: list[Leftover] = []
    for kind, where, age in store_leftovers(store, seconds):
        what = "中断写入留下的临时文件" if kind == "blob_temp" else "中断写入留下的未登记文件"
        found.append(Leftover(kind, where, age, f"{what}（{_days(age)}）"))
    for path, what, age in stale_exports(store, seconds):
        kind = "export_partial" if what.startswith("中断的导出") else "export_incomplete"
        found.append(Leftover(kind, str(path), age, what))
    for path, age in stale_staging(store.settings.uploads_dir, seconds):
        found.append(
            Leftover(
                "upload_staging", str(path), age, f"没有上传记录引用的暂存文件（{_days(age)}）"
            )
        )
    for path, age in stale_scratch(store.settings, seconds):
        found.append(Leftover("scratch", str(path), age, f"中断留下的临时目录（{_days(age)}）"))
    return found


def _days(seconds: float) -> str:
    if seconds >= 86400:
        return f"已 {seconds / 86400:.1f} 天"
    return f"已 {seconds / 3600:.1f} 小时"
