"""Every kind of out-of-band change is found by ``liuhen verify`` and named exactly."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.helpers import as_intruder, make_case_with_files, run_cli

from liuhen.config import Settings
from liuhen.store.store import Store


def _env(settings: Settings) -> dict[str, str]:
    return {"LIUHEN_DATA_DIR": str(settings.data_dir), "LIUHEN_DATABASE_URL": settings.database_url}


def _verify(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict]:
    result = run_cli(["verify", "--json"], _env(settings), monkeypatch)
    return result.code, result.json()


def _blob_path(store: Store, sha: str) -> Path:
    return Path(store.settings.data_dir) / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha


@pytest.fixture
def populated(store: Store, tmp_path: Path) -> dict[str, str]:
    return make_case_with_files(store, tmp_path)


def _problem(report: dict, kind: str) -> dict:
    matches = [p for p in report["problems"] if p["kind"] == kind]
    assert matches, f"no {kind} in {report['problems']}"
    return matches[0]


def test_untouched_store_verifies_clean(store, populated, monkeypatch):
    code, report = _verify(store.settings, monkeypatch)
    assert code == 0
    assert report["ok"] is True and report["problems"] == []
    assert report["blobs"] == 1 and report["events"] > 5


def test_changed_byte_in_blob_is_named_by_blobs_by_fixity_and_after_it(
    store, populated, monkeypatch
):
    """A byte changed, the size the same: ``verify`` reads no file's bytes by default (the
    note says so), ``verify --blobs`` reads them all, and once ``liuhen fixity`` has found
    it every ``verify`` names it; a file cut short is named by its size at once."""
    path = _blob_path(store, populated["blob"])
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    code, report = _verify(store.settings, monkeypatch)
    assert code == 0 and any("liuhen verify --blobs" in n for n in report["notes"])
    result = run_cli(
        ["verify", "--json", "--blobs", "--read-only"], _env(store.settings), monkeypatch
    )
    assert result.code == 1
    assert _problem(result.json(), "blob_altered")["object"] == f"blob {populated['blob']}"
    assert run_cli(["fixity", "--json"], _env(store.settings), monkeypatch).code != 0
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    found = _problem(report, "blob_altered")
    assert found["object"] == f"blob {populated['blob']}" and "liuhen fixity" in found["message"]
    path.write_bytes(bytes(data[:-1]))
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1 and any("大小已改变" in p["message"] for p in report["problems"])


def test_deleted_blob_is_named(store, populated, monkeypatch):
    path = _blob_path(store, populated["blob"])
    os.chmod(path, 0o644)
    path.unlink()
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    assert _problem(report, "blob_missing")["object"] == f"blob {populated['blob']}"


def test_record_row_edited_in_sql_is_named(store, populated, monkeypatch):
    as_intruder(
        store,
        f"UPDATE records SET title = '篡改后的标题' WHERE id = '{populated['record']}'",
        tables=("records",),
    )
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    assert _problem(report, "row_altered")["object"] == f"records/{populated['record']}"


def test_record_row_deleted_in_sql_is_named(store, populated, monkeypatch):
    as_intruder(
        store,
        f"DELETE FROM record_files WHERE record_id = '{populated['record']}'",
        f"DELETE FROM records WHERE id = '{populated['record']}'",
        tables=("records", "record_files"),
    )
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    objects = {p["object"] for p in report["problems"] if p["kind"] == "row_deleted"}
    assert f"records/{populated['record']}" in objects


def test_deleted_ledger_row_is_named(store, populated, monkeypatch):
    as_intruder(store, "DELETE FROM ledger_events WHERE seq = 4", tables=("ledger_events",))
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    assert _problem(report, "ledger_event_missing")["object"] == "ledger_events#4"


def test_swapped_ledger_rows_are_named(store, populated, monkeypatch):
    # Swap the contents of events 5 and 6, keeping their sequence numbers.
    as_intruder(
        store,
        "UPDATE ledger_events SET seq = -1 WHERE seq = 5",
        "UPDATE ledger_events SET seq = 5 WHERE seq = 6",
        "UPDATE ledger_events SET seq = 6 WHERE seq = -1",
        tables=("ledger_events",),
    )
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    broken = {p["object"] for p in report["problems"] if p["kind"] == "ledger_chain_broken"}
    assert "ledger_events#5" in broken


def test_altered_checkpoint_signature_is_named(store, populated, monkeypatch):
    with store.read() as conn:
        size = conn.execute(text("SELECT MAX(tree_size) FROM checkpoints")).scalar_one()
    blob = (
        "X'" + "00" * 64 + "'"
        if store.engine.dialect.name == "sqlite"
        else "'\\x" + "00" * 64 + "'"
    )
    as_intruder(
        store,
        f"UPDATE checkpoints SET signature = {blob} WHERE tree_size = {size}",
        tables=("checkpoints",),
    )
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    assert _problem(report, "checkpoint_signature_invalid")["object"] == f"checkpoints@{size}"


def test_database_rolled_back_is_caught_by_the_outside_log(store, populated, monkeypatch):
    with store.read() as conn:
        last = conn.execute(text("SELECT MAX(seq) FROM ledger_events")).scalar_one()
    as_intruder(
        store,
        f"DELETE FROM checkpoints WHERE tree_size > {last - 1}",
        f"DELETE FROM ledger_events WHERE seq >= {last - 1}",
        f"UPDATE ledger_head SET next_seq = {last - 1}, chain_hash = (SELECT chain_hash FROM ledger_events WHERE seq = {last - 2})",
        tables=("ledger_events", "checkpoints"),
    )
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    problem = _problem(report, "ledger_rolled_back")
    assert problem["object"].endswith("checkpoints.jsonl:" + problem["object"].rsplit(":", 1)[1])


def test_verify_names_a_changed_row_by_its_case_number_for_people_and_keeps_the_json(
    store, populated, monkeypatch
):
    as_intruder(
        store,
        f"UPDATE records SET title = '篡改后的标题' WHERE id = '{populated['record']}'",
        f"UPDATE acts SET place = '别处' WHERE id = '{populated['act']}'",
        tables=("records", "acts"),
    )
    said = run_cli(["verify"], _env(store.settings), monkeypatch)
    assert said.code == 1
    lines = [line for line in said.out.splitlines() if "[row_altered]" in line]
    assert sorted(lines) == sorted(
        [
            f"  [row_altered] 案件 测试〔2026〕1号 的记录 records/{populated['record']}："
            "记录内容与日志中的摘要不符（在系统之外被修改）",
            f"  [row_altered] 案件 测试〔2026〕1号 的记录 acts/{populated['act']}："
            "记录内容与日志中的摘要不符（在系统之外被修改）",
        ]
    )
    _, report = _verify(store.settings, monkeypatch)
    assert set(report) == {
        "ok", "checked_at", "events", "checkpoints", "rows", "blobs", "blob_bytes",
        "summaries", "key_fingerprint", "pinned", "problems", "problems_total", "notes",
        "disposed", "recorded_seq", "since", "tree_root", "chain_hash",
    }  # fmt: skip


def test_a_copy_line_unlike_the_checkpoint_it_repeats_is_judged_on_its_own(
    store, populated, monkeypatch
):
    """A line of the checkpoint log at a size the database signed, its signature changed:
    not the database's checkpoint, so it is checked itself and named (the same line as the
    database's is taken as checked: ``signed_index``)."""
    log = store.checkpoint_log.path
    lines = log.read_bytes().splitlines()
    entry = json.loads(lines[-1])
    body, signature_line = entry["note"].rstrip("\n").rsplit("\n", 1)
    name, encoded = signature_line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    entry["note"] = f"{body}\n{name} {base64.b64encode(bytes(raw)).decode()}\n"
    lines[-1] = json.dumps(entry, ensure_ascii=False).encode()
    log.write_bytes(b"\n".join(lines) + b"\n")
    code, report = _verify(store.settings, monkeypatch)
    assert code == 1
    found = {p["kind"]: p["object"] for p in report["problems"]}
    assert found == {  # and so the log lacks the checkpoint that line was
        "checkpoint_signature_invalid": f"{log}:{len(lines)}",
        "checkpoint_log_incomplete": str(log),
    }
