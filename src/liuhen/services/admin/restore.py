"""``liuhen restore DIR``: put a backup back, verify it, and record the restore on the ledger.

In order, changing nothing until every check has passed:

1. the backup: every file against the SHA-256 its MANIFEST lists (``BackupInvalid``);
2. that it fits here: the same kind of database, a schema this version knows, the tools,
   the signing key readable with the configured passphrase, an object store that still holds
   every object the backup lists;
3. the target: empty (a new data directory and database after a disk was lost), or replaced
   only with ``--force``; what it held is set aside in ``<data dir>/replaced-<time>/`` (a
   PostgreSQL database as a ``pg_dump`` there) and its ledger's size and root are recorded.

Then the database, keys, checkpoint log, witness folder and blobs are put back, the schema is
brought to this version, the start-up recovery runs, and ``liuhen verify``'s checks run over
the result. A store that does not verify is left as restored but nothing is recorded
(``RestoreUnverified``: ``verify`` says the same and appends nothing over damage). One that
does gets a ``store.restored`` event naming the backup, its ledger's size and root, and the
largest tree known before (the replaced database, its checkpoint log, each witness), signed in
a new checkpoint that goes to the witnesses.

Rolling back is never silent. Each witness that saw a larger tree keeps it: an HTTP witness
(``liuhen witness serve``) refuses the restored checkpoint (409: it holds a larger size, kept
in its ``refused.jsonl``) and every later one, since the restored tree is not an extension of
the one it cosigned; a directory witness is sent the restored checkpoint although it holds
larger ones (the publisher would skip it), so its file shows the fork; a bucket keeps every
object. ``liuhen verify`` reports each of them (``ledger_rolled_back``, ``witness_forked``)
until the witness's operator takes note; the restore lists them instead of failing on them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liuhen.config import Settings
from liuhen.errors import BackupInvalid, ConfigError, Conflict, RestoreUnverified, StorageError
from liuhen.ledger.events import Actor
from liuhen.ledger.note import checkpoint_note
from liuhen.services.admin.setup import ensure_schema, prepare_data_dir
from liuhen.services.archiving.integrity import VerifyReport, verify
from liuhen.services.archiving.recovery import recover
from liuhen.store.backup import KEYS_DIR, PG_FILE, SQLITE_FILE, files, postgres
from liuhen.store.backup.manifest import check_backup
from liuhen.store.backup.snapshot import sqlite_path
from liuhen.store.backup.target import Target, inspect_target, newest_checkpoint, schema_known
from liuhen.store.blobs import open_blob_store
from liuhen.store.checkpoint_log import WITNESS_FILE, append_line, newest_in
from liuhen.store.database import make_engine
from liuhen.store.keys import key_passphrase, read_key
from liuhen.store.recovery import checkpoints_after
from liuhen.store.store import Store
from liuhen.store.witnesses.http import HttpWitness, WitnessUnreachable

RESTORED = "store.restored"
"""The ledger action of a restore (the first event after the backup's)."""

Progress = Callable[[str, int, int], None]


def restore(
    settings: Settings,
    actor: Actor,
    source: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Restore the backup in ``source`` into the configured store (see the module
    docstring); what was restored, replaced and recorded."""
    source = source.expanduser().resolve()
    manifest = check_backup(source, _stage(progress, "check", manifest_total(source)))
    _check_fits(settings, source, manifest)
    before = inspect_target(settings)
    if not before.empty and not force:
        raise Conflict(
            f"目标存储不是空的（{before.describe()}）：恢复将取代它。确认取代请加 --force"
            "（被取代的数据库、签名密钥和检查点记录移到数据目录的 replaced-时间 目录中保留）"
        )
    prepare_data_dir(settings)
    shared = open_blob_store(settings).shared_log()  # the cluster's log, in the bucket
    shared_before = shared.newest_entry() if shared is not None else None
    replaced = _put_back(settings, source, manifest, before)
    if shared is not None:  # set aside like the data directory's file; the restored one
        stamp = datetime.now(UTC).strftime("replaced-%Y%m%dT%H%M%S%fZ")  # begins it again
        shared.set_aside(Path(replaced).name if replaced else stamp)  # (start-up recovery)
    blobs = open_blob_store(settings)
    put = files.put_blobs(
        source, manifest["files"], blobs, _stage(progress, "blobs", _blob_bytes(manifest))
    )
    ensure_schema(settings)  # a backup of an older version: its schema brought up to this one
    store = Store.open(settings)
    try:
        return _settle(store, actor, source, manifest, (before, shared_before), replaced, put)
    finally:
        store.close()


def manifest_total(source: Path) -> int:
    """Bytes the check reads (0 when the MANIFEST cannot be read: the check says why)."""
    import json

    try:
        listed = json.loads((source / "MANIFEST").read_text("utf-8"))["files"]
        return sum(int(e["size"]) for e in listed.values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return 0


def _stage(progress: Progress | None, stage: str, total: int) -> Callable[[int], None]:
    def step(done: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    return step


def _blob_bytes(manifest: dict[str, Any]) -> int:
    return sum(int(e["size"]) for n, e in manifest["files"].items() if n.startswith("blobs/"))


def _check_fits(settings: Settings, source: Path, manifest: dict[str, Any]) -> None:
    """Refuse, before anything changes, a backup that cannot be restored here."""
    engine = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest.get("engine") != engine:
        raise ConfigError(
            f"LIUHEN_DATABASE_URL: 备份的数据库是 {manifest.get('engine')}，这里配置的是 {engine}："
            "请配置与备份同类的数据库（不能跨数据库种类恢复）"
        )
    if manifest["files"].get(SQLITE_FILE if settings.is_sqlite else PG_FILE) is None:
        raise BackupInvalid(f"备份 {source} 的清单中没有数据库文件：备份不完整")
    revision = manifest.get("schema_revision")
    if not isinstance(revision, str) or not schema_known(revision):
        raise ConfigError(
            f"备份的数据库结构版本 {revision} 不是本版本留痕所知的：它来自更新的版本，"
            "请先安装不低于备份时的留痕版本再恢复"
        )
    if not settings.is_sqlite:
        postgres.tool("pg_restore")
        postgres.tool("pg_dump")  # a replaced database is kept as a dump
    key = source / KEYS_DIR / settings.signing_key_path.name
    found, problem = read_key(key, key_passphrase(settings))  # a missing passphrase: ConfigError
    if found is None:
        raise BackupInvalid(f"备份中没有可用的签名密钥（{problem}）：恢复后无法签名")
    _check_objects(settings, source, manifest)


def _check_objects(settings: Settings, source: Path, manifest: dict[str, Any]) -> None:
    kept = manifest.get("blob_store") or {}
    if kept.get("copied"):
        return
    blobs = open_blob_store(settings)
    if not settings.store_url.startswith("s3://"):
        raise ConfigError(
            "LIUHEN_STORE_URL: 备份只列出了对象存储中的文件（blobs.jsonl），没有复制其内容："
            "请让 LIUHEN_STORE_URL 指向保存着这些对象的存储桶"
        )
    missing = files.objects_missing(blobs, source)
    if missing:
        raise StorageError(
            f"对象存储 {blobs.describe()} 中缺少备份清单所列的 {len(missing)} 个文件"
            f"（如 {missing[0]}）：请先从存储桶的复制或版本中恢复这些对象；未改动任何数据"
        )


def _put_back(
    settings: Settings, source: Path, manifest: dict[str, Any], before: Target
) -> str | None:
    """Set aside what is there, then put the backup's database and files in its place;
    the folder holding what was replaced (None when nothing was)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = settings.data_dir / f"replaced-{stamp}"
    moved: list[str] = []
    if not before.empty:
        if settings.is_sqlite:
            db = sqlite_path(settings)
            moved += files.set_aside(
                [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm"))], aside
            )
        else:
            aside.mkdir(parents=True)
            postgres.dump(settings, aside / PG_FILE)
            moved.append(PG_FILE)
    data = settings.data_dir
    moved += files.set_aside(
        [data / KEYS_DIR, settings.checkpoint_log_path, data / "witnesses"], aside
    )
    if settings.is_sqlite:
        files.put_sqlite(source / SQLITE_FILE, sqlite_path(settings))
    else:
        engine = make_engine(settings)
        try:
            if before.schema:
                postgres.clear_schema(engine)
        finally:
            engine.dispose()
        postgres.restore(settings, source / PG_FILE)
    files.put_files(source, manifest["files"], settings)
    return str(aside) if moved else None


def _settle(
    store: Store,
    actor: Actor,
    source: Path,
    manifest: dict[str, Any],
    targets: tuple[Target, tuple[int, str] | None],
    replaced: str | None,
    blobs_put: int,
) -> dict[str, Any]:
    """Verify the restored store and record the restore (the module docstring says how);
    ``targets``: what was there, and the newest checkpoint of the bucket's log (S3)."""
    before, shared_before = targets
    store.build_tiles()
    recover(store)
    report = verify(store, actor, caches=False, blobs=True)  # the files restored: read them
    own, seen = _partition(store, report)
    if own:
        first = own[0]
        raise RestoreUnverified(
            f"已恢复，但校验发现 {len(own)} 处问题（如 [{first['kind']}] {first['object']}："
            f"{first['message']}）：未记录恢复事件；请运行 liuhen verify 查看全部问题",
            details=[f"[{p['kind']}] {p['object']}：{p['message']}" for p in own[:10]],
        )
    backup = _backup_facts(source, manifest)
    held = _witnesses_held(store)
    payload = {
        "backup": backup,
        "before": before.to_dict(),
        "witnesses": held,
        "superseded": _superseded(backup, before, held, shared_before),
        "replaced": replaced,
    }
    with store.transaction(actor) as tx:
        seq = tx.record(RESTORED, subject_type="store", subject_id="all", payload=payload)
    after = store.latest_checkpoint() or {}
    shown, sent = _show_witnesses(store)
    return {
        **payload,
        "recorded_seq": seq,
        "blobs_put": blobs_put,
        "after": {"size": after.get("tree_size"), "root_hash": after.get("root_hash")},
        "shown_to": shown,
        "sent": sent,
        "witness_findings": seen,
        "notes": report.notes,
    }


def _partition(
    store: Store, report: VerifyReport
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The problems of the store itself, and those of witnesses that remember more (a larger
    or another tree): expected after restoring an older backup, and reported, not fatal."""
    outside = tuple(str(s.path) for s in store.checkpoint_log.sources() if s.witness)
    own: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    for p in report.problems:
        found = {"kind": p.kind, "object": p.object, "message": p.message}
        witness = p.object.startswith(("witness:", *outside))
        (seen if witness else own).append(found)
    return own, seen


def _backup_facts(source: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    ledger = manifest.get("ledger") or {}
    return {
        "path": str(source),
        "backup_id": manifest.get("backup_id"),
        "created_at": manifest.get("created_at"),
        "engine": manifest.get("engine"),
        "schema_revision": manifest.get("schema_revision"),
        "recorded_seq": manifest.get("recorded_seq"),
        "size": ledger.get("size"),
        "root_hash": ledger.get("root_hash"),
    }


def _witnesses_held(store: Store) -> dict[str, Any]:
    """The newest checkpoint each witness held of this log before the restore was recorded
    (a bucket: not listed here; ``verify`` reads it)."""
    held: dict[str, Any] = {}
    for spec in store.witnesses.specs():
        if spec.kind == "dir":
            found = newest_checkpoint(Path(spec.target) / WITNESS_FILE)
            held[spec.name] = {"size": found[0], "root_hash": found[1]} if found else None
        elif spec.kind == "http":
            held[spec.name] = _http_held(store, spec.target)
    if store.settings.witness_dir is not None:
        found = newest_checkpoint(store.settings.witness_dir / WITNESS_FILE)
        held["LIUHEN_WITNESS_DIR"] = {"size": found[0], "root_hash": found[1]} if found else None
    return held


def _http_held(store: Store, target: str) -> dict[str, Any] | None:
    try:
        state = HttpWitness(target).log_state(store.origin)
    except WitnessUnreachable as exc:
        return {"error": str(exc)}
    if state is None or not state.get("size"):
        return None
    try:
        root = base64.b64decode(str(state.get("root"))).hex()
    except ValueError:
        root = None
    return {"size": state.get("size"), "root_hash": root}


def _superseded(
    backup: dict[str, Any],
    before: Target,
    held: dict[str, Any],
    shared: tuple[int, str] | None = None,
) -> dict[str, Any] | None:
    """The largest tree known before the restore, when it is larger than the backup's (the
    events after the backup that the restore rolls back), with where it was known."""
    known: list[tuple[int, str | None, str]] = []
    if before.database and before.database.size:
        known.append((before.database.size, before.database.root_hash, "database"))
    for log in (before.log, shared):
        if log:
            known.append((log[0], log[1], "checkpoint_log"))
    for name, state in held.items():
        if isinstance(state, dict) and isinstance(state.get("size"), int):
            known.append((state["size"], state.get("root_hash"), f"witness:{name}"))
    size = int(backup.get("size") or 0)
    larger = [k for k in known if k[0] > size]
    if not larger:
        return None
    top = max(larger, key=lambda k: k[0])
    return {"size": top[0], "root_hash": top[1], "known_from": sorted({k[2] for k in larger})}


def _show_witnesses(store: Store) -> tuple[list[str], dict[str, str]]:
    """Make sure every witness is shown the restore's checkpoint: sent again (past the back-off)
    to all when one failed before (a witness that saw a larger tree refuses, and the start-up
    catch-up that met the refusal first makes the publisher leave it alone for a while), and
    appended to each directory witness that holds a larger tree (the publisher sends a
    directory only checkpoints beyond its newest), so its file shows the restore. Returns the
    directories shown and what each witness answered."""
    publisher = store.witnesses
    sent = {s.name: publisher.last_error.get(s.name, "ok") for s in publisher.specs()}
    newest = checkpoints_after(store, -1, newest_only=True)
    if not newest or store.public_key is None:
        return [], sent
    cp, signature, _fingerprint = newest[0]
    note = checkpoint_note(cp, signature, store.public_key)
    if any(answer != "ok" for answer in sent.values()):
        sent = publisher.publish(cp, note, force=True)
    shown = []
    for spec in publisher.specs():
        target = Path(spec.target) / WITNESS_FILE
        if spec.kind == "dir" and (newest_in(target) or -1) > cp.tree_size:
            append_line(target, {"note": note.render()})
            shown.append(spec.name)
    return shown, sent
