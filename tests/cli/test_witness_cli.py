"""``liuhen witness add | list`` with a directory witness, the one-line errors of bad
registrations, ``liuhen ledger rotate-key``, and a rotation cut short finished at the next
start, as an operator runs them (SQLite)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import run_cli

from liuhen.ledger.checkpoint import key_fingerprint


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "town"
    monkeypatch.setenv("LIUHEN_ENV", "test")
    monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
    result = run_cli(
        ["--data-dir", str(root), "init"], {"LIUHEN_ADMIN_PASSWORD": ADMIN_PASSWORD}, monkeypatch
    )
    assert result.code == 0, result.err
    return root


def _cli(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(["--data-dir", str(data_dir), *args])


def test_a_directory_witness_is_registered_listed_and_checked(
    data_dir: Path, tmp_path: Path
) -> None:
    witness = tmp_path / "county-share"
    added = _cli(data_dir, "witness", "add", str(witness), "--json")
    assert added.code == 0, added.err
    assert added.json()["kind"] == "dir" and added.json()["log"].startswith("liuhen/")
    assert _cli(data_dir, "ledger", "checkpoint").code == 0
    listing = _cli(data_dir, "witness", "list", "--json").json()
    assert listing["witnesses"][0]["last_size"] == listing["signed_size"]
    assert "最后保存" in _cli(data_dir, "witness", "list").out
    assert _cli(data_dir, "verify", "--read-only").code == 0

    log = witness / "checkpoints.jsonl"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:-1]), "utf-8")  # the newest checkpoint cut off
    checked = _cli(data_dir, "verify", "--read-only", "--json")
    assert checked.code == 1 and "Traceback" not in checked.err
    assert {"witness_incomplete"} <= {p["kind"] for p in checked.json()["problems"]}
    assert any(str(log) in p["object"] for p in checked.json()["problems"])


@pytest.mark.parametrize(
    "args",
    [
        ["http://127.0.0.1:9/"],  # an HTTP witness needs its key
        ["http://127.0.0.1:9/", "--key", "not-a-vkey"],
        ["relative/dir"],
        ["s3://bucket/x", "--key", "liuhen/x+00000000+AAAA"],
    ],
)
def test_a_bad_registration_is_one_line_and_exit_2(data_dir: Path, args: list[str]) -> None:
    result = _cli(data_dir, "witness", "add", *args)
    assert result.code == 2 and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_second_registration_of_the_same_witness_is_refused(
    data_dir: Path, tmp_path: Path
) -> None:
    assert _cli(data_dir, "witness", "add", str(tmp_path / "w")).code == 0
    again = _cli(data_dir, "witness", "add", str(tmp_path / "w"))
    assert again.code == 2 and "已登记" in again.err


def test_rotate_key_signs_on_with_the_new_key_and_verify_follows(data_dir: Path) -> None:
    before = _cli(data_dir, "witness", "list", "--json").json()["log"]
    rotated = _cli(data_dir, "ledger", "rotate-key", "--json")
    assert rotated.code == 0, rotated.err
    done = rotated.json()
    assert done["old_fingerprint"] != done["new_fingerprint"]
    checkpoint = _cli(data_dir, "ledger", "checkpoint", "--json").json()
    assert checkpoint["key_fingerprint"] == done["new_fingerprint"]
    after = _cli(data_dir, "witness", "list", "--json").json()["log"]
    assert after.split("+")[0] == before.split("+")[0]  # the origin stays
    pinned = _cli(data_dir, "verify", "--read-only", "--fingerprint", done["old_fingerprint"])
    assert pinned.code == 0, pinned.out
    assert list((data_dir / "keys").glob("ledger-ed25519.*.retired.pem"))
    again = run_cli(
        ["--data-dir", str(data_dir), "init"], {"LIUHEN_ADMIN_PASSWORD": ADMIN_PASSWORD}
    )
    assert again.code == 0, again.err  # init accepts the rotated key, and makes none


def test_a_rotation_cut_short_after_its_event_is_finished_at_the_next_start(
    data_dir: Path,
) -> None:
    from liuhen.store.keys import read_key

    keys = data_dir / "keys"
    old = (keys / "ledger-ed25519.pem").read_bytes()
    done = _cli(data_dir, "ledger", "rotate-key", "--json").json()
    new = (keys / "ledger-ed25519.pem").read_bytes()
    # as if killed after the commit, before the files were swapped
    os.replace(keys / "ledger-ed25519.pem", keys / "ledger-ed25519.next.pem")
    (keys / "ledger-ed25519.pem").write_bytes(old)
    checkpoint = _cli(data_dir, "ledger", "checkpoint", "--json")
    assert checkpoint.json()["key_fingerprint"] == done["new_fingerprint"]
    assert (keys / "ledger-ed25519.pem").read_bytes() == new
    key, _why = read_key(keys / "ledger-ed25519.pem")
    assert key is not None and key_fingerprint(key) == done["new_fingerprint"]
    assert _cli(data_dir, "verify", "--read-only").code == 0


def test_a_checkpoint_log_of_old_json_lines_still_verifies_and_goes_on_as_notes(
    data_dir: Path,
) -> None:
    import base64
    import json

    from liuhen.ledger.checkpoint import checkpoint_to_dict
    from liuhen.ledger.note import read_log_entry

    log = data_dir / "checkpoints.jsonl"
    fingerprint = _cli(data_dir, "ledger", "checkpoint", "--json").json()["key_fingerprint"]
    old = []
    for line in log.read_text("utf-8").splitlines():
        cp, signature, _claim = read_log_entry(json.loads(line))
        old.append(json.dumps(checkpoint_to_dict(cp, signature, fingerprint), sort_keys=True))
    log.write_text("".join(f"{line}\n" for line in old), "utf-8")  # as an older version wrote
    assert _cli(data_dir, "verify", "--read-only").code == 0
    assert _cli(data_dir, "ledger", "checkpoint").code == 0
    lines = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert "tree_size" in lines[0] and set(lines[-1]) == {"note"}
    assert _cli(data_dir, "verify", "--read-only").code == 0
    entry = json.loads(old[-1])
    entry["signature"] = base64.b64encode(bytes(64)).decode()  # an old line with a bad signature
    old[-1] = json.dumps(entry, sort_keys=True)
    log.write_text("".join(f"{line}\n" for line in old), "utf-8")
    damaged = _cli(data_dir, "verify", "--read-only", "--json")
    assert damaged.code == 1 and "Traceback" not in damaged.err
    assert any(str(log) in p["object"] for p in damaged.json()["problems"])
