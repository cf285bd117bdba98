"""``liuhen backup --out DIR`` and ``liuhen restore DIR`` as an operator runs them (issue 14
item 6), on SQLite and PostgreSQL: the restore drill (back up, write more, restore: the store
verifies, the restore is on the ledger, the later writes are gone, the blobs are there), a
lost disk restored without ``--force``, a damaged backup refused before anything changes, a
backup directory that is not empty refused, and what witnesses that saw more do with a
restored (smaller) tree: a directory witness is shown it, an HTTP witness refuses it, and
``liuhen verify`` names both (never a silent rollback)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import ADMIN_PASSWORD
from tests.factories import SYSTEM, make_case
from tests.helpers import CliResult, make_case_with_files, run_cli
from tests.witness_process import WitnessProcess

from liuhen.config import Settings
from liuhen.store import tables as t
from liuhen.store.store import Store

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI at ``settings`` (the operator's environment)."""
    monkeypatch.setenv("LIUHEN_ENV", "test")
    monkeypatch.delenv("LIUHEN_STORE_URL", raising=False)
    monkeypatch.delenv("LIUHEN_AS_USER", raising=False)
    monkeypatch.setenv("LIUHEN_DATA_DIR", str(settings.data_dir))
    if settings.is_sqlite:
        monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("LIUHEN_DATABASE_URL", settings.database_url)


def _town(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """An initialised store with a case whose record holds a stored file."""
    from liuhen.services.admin.setup import initialise

    initialise(settings, admin_password=ADMIN_PASSWORD)
    store = Store.open(settings)
    try:
        return make_case_with_files(store, tmp_path)
    finally:
        store.close()


def _write_more(settings: Settings, tmp_path: Path, agency: str) -> dict[str, str]:
    """A second case with a file of its own, written after the backup."""
    from liuhen.services.cases.files import store_file
    from liuhen.services.cases.records import AttachedFile, add_record

    store = Store.open(settings)
    try:
        case = make_case(store, agency, number="测试〔2026〕2号", title="备份之后立案")
        doc = tmp_path / "备份之后.txt"
        doc.write_text("备份之后写入的询问笔录。", encoding="utf-8")
        blob = store_file(store, SYSTEM, doc)
        add_record(
            store,
            SYSTEM,
            case_id=case,
            act_id=None,
            kind="text",
            doc_kind="inquiry_record",
            title="询问笔录",
            details={"made_at": store.clock().isoformat(), "officer_ids": [], "fields": {}},
            files=[AttachedFile(blob.sha256, doc.name, "text/plain")],
        )
        return {"case": case, "blob": blob.sha256}
    finally:
        store.close()


def _events(settings: Settings) -> list[Any]:
    store = Store.open(settings)
    try:
        with store.read() as conn:
            return list(conn.execute(select(t.ledger_events).order_by(t.ledger_events.c.seq)))
    finally:
        store.close()


def _case_ids(settings: Settings) -> set[str]:
    store = Store.open(settings)
    try:
        with store.read() as conn:
            return {row[0] for row in conn.execute(select(t.cases.c.id))}
    finally:
        store.close()


def _one_line_error(result: CliResult, code: int) -> None:
    assert result.code == code, (result.out, result.err)
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith("错误：")


def test_restore_drill_backs_up_writes_more_restores_and_records_the_restore(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _town(settings, tmp_path)
    _env(settings, monkeypatch)
    backup_dir = tmp_path / "backup"
    made = run_cli(["backup", "--out", str(backup_dir), "--json"])
    assert made.code == 0, made.err
    backup = made.json()
    assert backup["recorded_seq"] is not None
    assert backup["blob_store"]["copied"] and backup["blob_store"]["count"] == 1
    manifest = json.loads((backup_dir / "MANIFEST").read_text("utf-8"))
    database = "database.sqlite3" if settings.is_sqlite else "database.dump"
    assert {database, "checkpoints.jsonl", "keys/ledger-ed25519.pem"} <= set(manifest["files"])
    assert manifest["ledger"]["size"] == backup["ledger"]["size"] == manifest["ledger"]["events"]
    assert manifest["schema_revision"] and manifest["engine"] in ("sqlite", "postgresql")

    later = _write_more(settings, tmp_path, town["agency"])
    before = _events(settings)
    refused = run_cli(["restore", str(backup_dir)])
    _one_line_error(refused, 2)
    assert "--force" in refused.err and later["case"] in _case_ids(settings)

    restored = run_cli(["restore", str(backup_dir), "--force", "--json"])
    assert restored.code == 0, restored.err
    done = restored.json()
    assert done["backup"]["backup_id"] == backup["backup_id"]
    assert done["backup"]["size"] == backup["ledger"]["size"]
    assert done["before"]["database"]["events"] == len(before)
    assert done["superseded"]["size"] == len(before) > backup["ledger"]["size"]
    assert done["witness_findings"] == [] and Path(done["replaced"]).is_dir()

    checked = run_cli(["verify", "--json"])
    assert checked.code == 0, checked.out
    events = _events(settings)
    restore_event = events[done["recorded_seq"]]
    assert restore_event.action == "store.restored"
    assert restore_event.payload["backup"]["root_hash"] == backup["ledger"]["root_hash"]
    assert restore_event.payload["before"]["database"]["size"] == len(before)
    assert events[backup["recorded_seq"]].action == "store.backed_up"
    assert done["recorded_seq"] == backup["ledger"]["events"]  # the first event after the backup
    assert _case_ids(settings) == {town["case"]}  # the case written after the backup is gone
    store = Store.open(settings)
    try:
        assert store.blobs.rehash(town["blob"])[0] == town["blob"]
    finally:
        store.close()


def test_a_store_lost_with_its_disk_is_restored_without_force(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: Any
) -> None:
    town = _town(settings, tmp_path)
    _env(settings, monkeypatch)
    assert run_cli(["backup", "--out", str(tmp_path / "backup")]).code == 0
    env = {"LIUHEN_DATA_DIR": str(tmp_path / "new-machine")}
    if not settings.is_sqlite:
        env["LIUHEN_DATABASE_URL"] = request.getfixturevalue("pg_database")  # empty
    fresh = Settings.from_env({**env, "LIUHEN_ENV": "test"})
    _env(fresh, monkeypatch)
    restored = run_cli(["restore", str(tmp_path / "backup"), "--json"])
    assert restored.code == 0, restored.err
    done = restored.json()
    assert done["before"]["database"] is None and done["replaced"] is None
    assert done["superseded"] is None and done["blobs_put"] == 1
    assert run_cli(["verify"]).code == 0
    assert _case_ids(fresh) == {town["case"]}
    assert (fresh.data_dir / "keys" / "ledger-ed25519.pem").stat().st_mode & 0o077 == 0


def test_a_backup_taken_while_writers_write_is_one_consistent_snapshot(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: Any
) -> None:
    """Events appended by another writer throughout the backup: the backup holds the ledger
    as it stood at one moment (its checkpoint log, keys and database agree), and restored on
    a new machine it verifies."""
    import threading

    from liuhen.services.admin.ledger import checkpoint_now

    _town(settings, tmp_path)
    _env(settings, monkeypatch)
    stop = threading.Event()
    writes: list[int] = []

    def write() -> None:
        store = Store.open(settings)
        try:
            while not stop.is_set():
                writes.append(int(checkpoint_now(store, SYSTEM)["tree_size"]))
        finally:
            store.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(writes) < 3:
            stop.wait(0.01)
        made = run_cli(["backup", "--out", str(tmp_path / "backup"), "--json"])
        mark = len(writes)
        while len(writes) < mark + 3:
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join(30)
    assert made.code == 0, made.err
    size = made.json()["ledger"]["size"]
    assert writes[0] < size < writes[-1]  # taken while the writer wrote
    env = {"LIUHEN_DATA_DIR": str(tmp_path / "new-machine"), "LIUHEN_ENV": "test"}
    if not settings.is_sqlite:
        env["LIUHEN_DATABASE_URL"] = request.getfixturevalue("pg_database")
    fresh = Settings.from_env(env)
    _env(fresh, monkeypatch)
    restored = run_cli(["restore", str(tmp_path / "backup"), "--json"])
    assert restored.code == 0, restored.err
    assert restored.json()["recorded_seq"] == size
    assert run_cli(["verify"]).code == 0


@pytest.mark.postgres
def test_a_backup_of_one_engine_is_not_restored_into_the_other(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_database: str
) -> None:
    _town(sqlite_settings, tmp_path)
    _env(sqlite_settings, monkeypatch)
    assert run_cli(["backup", "--out", str(tmp_path / "backup")]).code == 0
    target = Settings.from_env(
        {"LIUHEN_DATA_DIR": str(tmp_path / "pg"), "LIUHEN_DATABASE_URL": pg_database}
    )
    _env(target, monkeypatch)
    refused = run_cli(["restore", str(tmp_path / "backup")])
    _one_line_error(refused, 2)
    assert "LIUHEN_DATABASE_URL" in refused.err and not (tmp_path / "pg").exists()


@pytest.mark.parametrize(
    "damaged", ["database", "blob", "MANIFEST", "keys/ledger-ed25519.pem", "checkpoints.jsonl"]
)
def test_a_damaged_backup_is_refused_in_one_line_and_the_target_is_untouched(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damaged: str
) -> None:
    settings = sqlite_settings
    town = _town(settings, tmp_path)
    _env(settings, monkeypatch)
    backup_dir = tmp_path / "backup"
    assert run_cli(["backup", "--out", str(backup_dir)]).code == 0
    _write_more(settings, tmp_path, town["agency"])
    names = {"database": "database.sqlite3", "blob": _blob_file(backup_dir, town["blob"])}
    _flip_one_byte(backup_dir / names.get(damaged, damaged))
    database = settings.data_dir / "liuhen.sqlite3"
    kept = database.read_bytes(), sorted(p.name for p in settings.data_dir.iterdir())
    refused = run_cli(["restore", str(backup_dir), "--force"])
    _one_line_error(refused, 2)
    assert "已损坏" in refused.err and "未改动任何数据" in refused.err
    assert (database.read_bytes(), sorted(p.name for p in settings.data_dir.iterdir())) == kept


@pytest.mark.postgres
def test_a_damaged_dump_is_refused_before_the_database_is_touched(
    make_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "data", engine="postgres")
    _town(settings, tmp_path)
    _env(settings, monkeypatch)
    assert run_cli(["backup", "--out", str(tmp_path / "backup")]).code == 0
    _flip_one_byte(tmp_path / "backup" / "database.dump")
    before = len(_events(settings))
    refused = run_cli(["restore", str(tmp_path / "backup"), "--force", "--json"])
    assert refused.code == 2 and json.loads(refused.err)["error"] == "backup_invalid"
    assert "database.dump" in json.loads(refused.err)["message"]
    assert len(_events(settings)) == before


def test_a_backup_into_a_directory_that_is_not_empty_is_refused(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _town(sqlite_settings, tmp_path)
    _env(sqlite_settings, monkeypatch)
    out = tmp_path / "busy"
    out.mkdir()
    (out / "someone-elses.txt").write_text("不要覆盖", encoding="utf-8")
    events = len(_events(sqlite_settings))
    refused = run_cli(["backup", "--out", str(out)])
    _one_line_error(refused, 2)
    assert "--out" in refused.err
    assert [p.name for p in out.iterdir()] == ["someone-elses.txt"]
    assert len(_events(sqlite_settings)) == events  # refused before anything was recorded
    _one_line_error(run_cli(["backup", "--out", str(out / "someone-elses.txt")]), 2)


@pytest.mark.postgres
def test_a_backup_without_pg_dump_is_one_line_saying_how_to_get_it(
    make_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "data", engine="postgres")
    _town(settings, tmp_path)
    _env(settings, monkeypatch)
    events = len(_events(settings))
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    refused = run_cli(["backup", "--out", str(tmp_path / "backup")])
    _one_line_error(refused, 2)
    assert "pg_dump" in refused.err and "postgresql-client" in refused.err
    assert not (tmp_path / "backup").exists() or not any((tmp_path / "backup").iterdir())
    assert len(_events(settings)) == events


def test_a_directory_witness_is_shown_the_restore_and_verify_names_the_rollback(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = sqlite_settings
    town = _town(settings, tmp_path)
    _env(settings, monkeypatch)
    county = tmp_path / "county-share"
    assert run_cli(["witness", "add", str(county)]).code == 0
    assert run_cli(["backup", "--out", str(tmp_path / "backup")]).code == 0
    _write_more(settings, tmp_path, town["agency"])
    seen = len(_events(settings))
    done = run_cli(["restore", str(tmp_path / "backup"), "--force", "--json"])
    assert done.code == 0, done.err
    result = done.json()
    witness_file = str(county / "checkpoints.jsonl")
    assert result["witnesses"][f"dir:{county}"]["size"] == seen
    assert result["superseded"]["known_from"] == [
        "checkpoint_log",
        "database",
        f"witness:dir:{county}",
    ]
    assert result["shown_to"] == [f"dir:{county}"]
    assert {f["kind"] for f in result["witness_findings"]} == {"ledger_rolled_back"}
    last = json.loads((county / "checkpoints.jsonl").read_text("utf-8").splitlines()[-1])
    assert f"\n{result['after']['size']}\n" in last["note"]  # the restored tree, shown
    checked = run_cli(["verify", "--read-only", "--json"])
    assert checked.code == 1
    kinds = {p["kind"] for p in checked.json()["problems"] if p["object"].startswith(witness_file)}
    assert "ledger_rolled_back" in kinds
    assert all(p["object"].startswith(witness_file) for p in checked.json()["problems"])


def test_an_http_witness_refuses_the_restored_tree_and_verify_names_it(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liuhen.services.oversight.witnesses import add_witness, log_vkey
    from liuhen.store.witness_files import WitnessFiles

    settings = sqlite_settings
    town = _town(settings, tmp_path)
    store = Store.open(settings)
    origin = store.origin
    county = WitnessProcess(tmp_path / "county", [log_vkey(store)]).start()
    try:
        add_witness(store, SYSTEM, county.url, key=county.vkey)
        store.close()
        _env(settings, monkeypatch)
        assert run_cli(["backup", "--out", str(tmp_path / "backup")]).code == 0
        _write_more(settings, tmp_path, town["agency"])
        cosigned = len(_events(settings))
        done = run_cli(["restore", str(tmp_path / "backup"), "--force", "--json"])
        assert done.code == 0, done.err
        result = done.json()
        name = "county.test/witness"
        assert result["witnesses"][name]["size"] == cosigned
        assert "大于本检查点" in result["sent"][name]  # refused: it holds a larger tree
        assert {(f["kind"], f["object"]) for f in result["witness_findings"]} == {
            ("ledger_rolled_back", f"witness:{name}")
        }
        files = WitnessFiles(county.data_dir / "witness")
        state = files.load(origin)
        assert state is not None and state.size == cosigned  # it never went back
        refused = (county.data_dir / "witness" / "refused.jsonl").read_text("utf-8")
        after = result["after"]["size"]
        assert any(
            f"\n{after}\n" in json.loads(line)["checkpoint"] for line in refused.splitlines()
        )
        checked = run_cli(["verify", "--read-only", "--json"])
        assert checked.code == 1
        assert {p["object"] for p in checked.json()["problems"]} == {f"witness:{name}"}
    finally:
        county.stop()


def test_the_documented_backup_and_restore_commands_run_as_written(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commands of docs/security.md's "备份与恢复" section, in its order: a backup, a
    restore onto a new machine (an empty data directory), verify, and a forced restore."""
    section = DOCS.read_text("utf-8").split("## 备份与恢复", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.+?)\n```", section, re.S)
    assert block is not None
    commands = [shlex.split(line.split("#", 1)[0]) for line in block.group(1).splitlines()]
    commands = [c for c in commands if c and c[0] == "liuhen"]
    assert [c[1] for c in commands] == ["backup", "restore", "verify", "restore"]
    town = _town(sqlite_settings, tmp_path)
    fresh = Settings.from_env({"LIUHEN_DATA_DIR": str(tmp_path / "new"), "LIUHEN_ENV": "test"})
    where = {"/srv/backup/liuhen-20261120": str(tmp_path / "backup")}
    for command in commands:
        args = [where.get(a, a) for a in command[1:]]
        first_restore = command[1] == "restore" and "--force" not in args
        _env(fresh if first_restore or command[1] == "verify" else sqlite_settings, monkeypatch)
        result = run_cli(args)
        assert result.code == 0, (command, result.out, result.err)
    assert _case_ids(fresh) == _case_ids(sqlite_settings) == {town["case"]}


def _blob_file(backup_dir: Path, sha256: str) -> str:
    return f"blobs/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _flip_one_byte(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
