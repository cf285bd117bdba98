"""The signing key is pinned outside the data directory and never minted for a ledger that
has one; the checkpoint log and the witness are never lost silently (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import make_case_with_files, run_cli

from liuhen.ledger.checkpoint import generate_key, key_fingerprint, private_key_pem
from liuhen.services.admin.setup import initialise
from liuhen.store.store import Store


def _env(settings, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {"LIUHEN_DATA_DIR": str(settings.data_dir), "LIUHEN_DATABASE_URL": settings.database_url}
    if settings.witness_dir is not None:
        env["LIUHEN_WITNESS_DIR"] = str(settings.witness_dir)
    return {**env, **extra}


def _verify(settings, monkeypatch, *args: str, **env: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = run_cli(["verify", "--json", *args], _env(settings, **env), monkeypatch)
    assert "Traceback" not in result.err, result.err
    return result.code, result.json()


def _problems(report: dict, kind: str) -> list[dict]:
    return [p for p in report["problems"] if p["kind"] == kind]


@pytest.fixture
def witnessed(request, make_settings, tmp_path: Path, clock):  # type: ignore[no-untyped-def]
    """An initialised store with a witness directory and a case in it (both engines)."""
    engine = getattr(request, "param", "sqlite")
    settings = make_settings(
        tmp_path / "data", engine=engine, env={"LIUHEN_WITNESS_DIR": str(tmp_path / "witness")}
    )
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(settings, clock=clock)
    make_case_with_files(store, tmp_path)
    yield store
    store.close()


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("witnessed", ENGINES, indirect=True)
def test_pinned_fingerprint_in_settings_or_flag_must_match_the_key(witnessed, monkeypatch):
    settings, right = witnessed.settings, witnessed.fingerprint
    other = key_fingerprint(generate_key())
    code, report = _verify(settings, monkeypatch, "--fingerprint", right.removeprefix("SHA256:"))
    assert code == 0 and report["pinned"] == ["--fingerprint", "ledger_events#0"]
    code, report = _verify(settings, monkeypatch, LIUHEN_LEDGER_FINGERPRINT=other)
    assert code == 1
    (found,) = _problems(report, "key_fingerprint_mismatch")
    assert found["object"] == str(settings.signing_key_path)
    assert "LIUHEN_LEDGER_FINGERPRINT" in found["message"] and other in found["message"]
    monkeypatch.delenv("LIUHEN_LEDGER_FINGERPRINT")
    code, report = _verify(settings, monkeypatch, "--fingerprint", other)
    assert (
        code == 1 and "--fingerprint" in _problems(report, "key_fingerprint_mismatch")[0]["message"]
    )
    bad = run_cli(["verify", "--fingerprint", "xyz"], _env(settings), monkeypatch)
    assert bad.code == 2 and "--fingerprint" in bad.err


def test_replaced_key_is_caught_by_event_0_and_the_witness(witnessed, monkeypatch):
    settings = witnessed.settings
    settings.signing_key_path.write_bytes(private_key_pem(generate_key()))
    code, report = _verify(settings, monkeypatch)
    assert code == 1
    assert _problems(report, "key_fingerprint_mismatch")[0]["object"] == "ledger_events#0"
    other_key = _problems(report, "checkpoint_other_key")
    assert {p["object"].rsplit(":", 1)[0] for p in other_key} >= {
        str(settings.checkpoint_log_path),
        str(settings.witness_dir / "checkpoints.jsonl"),
    }


def test_a_missing_key_is_reported_and_never_created(witnessed, monkeypatch):
    settings = witnessed.settings
    settings.signing_key_path.unlink()
    code, report = _verify(settings, monkeypatch)
    assert code == 1 and report["recorded_seq"] is None
    assert _problems(report, "signing_key_missing")[0]["object"] == str(settings.signing_key_path)
    assert not settings.signing_key_path.exists()
    from liuhen.errors import ConfigError
    from liuhen.ledger.events import Actor

    keyless = Store.open(settings)
    try:
        events = keyless.event_count()
        with (
            pytest.raises(ConfigError, match="签名密钥"),
            keyless.transaction(Actor.system()) as tx,
        ):
            tx.record("case.viewed", subject_type="store", subject_id="all")
        assert keyless.event_count() == events  # nothing is written unsigned
    finally:
        keyless.close()
    assert not settings.signing_key_path.exists()


def test_init_refuses_to_mint_a_key_for_a_ledger_that_has_events(witnessed, monkeypatch):
    settings = witnessed.settings
    recorded = witnessed.fingerprint
    settings.signing_key_path.unlink()
    result = run_cli(["init"], _env(settings, LIUHEN_ADMIN_PASSWORD=ADMIN_PASSWORD), monkeypatch)
    assert result.code == 2 and not settings.signing_key_path.exists()
    assert len(result.err.strip().splitlines()) == 1 and recorded in result.err
    settings.signing_key_path.write_bytes(private_key_pem(generate_key()))
    result = run_cli(["init"], _env(settings), monkeypatch)
    assert result.code == 2 and "不是本日志的密钥" in result.err


def test_checkpoint_log_cut_at_a_line_and_a_deleted_witness_are_named(witnessed, monkeypatch):
    settings = witnessed.settings
    log = settings.checkpoint_log_path
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-2]))
    witness = settings.witness_dir / "checkpoints.jsonl"
    witness.unlink()
    code, report = _verify(settings, monkeypatch)
    assert code == 1
    assert _problems(report, "checkpoint_log_incomplete")[0]["object"] == str(log)
    assert "2 个检查点" in _problems(report, "checkpoint_log_incomplete")[0]["message"]
    assert _problems(report, "witness_missing")[0]["object"] == str(witness)
    log.unlink()
    code, report = _verify(settings, monkeypatch)
    assert _problems(report, "checkpoint_log_missing")[0]["object"] == str(log)


def test_rewritten_history_with_a_fresh_key_is_caught_only_by_the_pin_or_the_witness(
    witnessed, monkeypatch
):
    from tests.integrity.forge import resign

    settings = witnessed.settings
    pinned = witnessed.fingerprint
    witnessed.close()
    record = make_record_id(witnessed)
    resign(settings.data_dir, genesis=True, record=record)
    code, report = _verify(settings, monkeypatch, "--fingerprint", pinned)
    (found,) = _problems(report, "key_fingerprint_mismatch")
    assert "只有固定的指纹（或见证）能发现" in found["message"]
    assert _problems(report, "checkpoint_other_key")  # the witness holds the old signatures
    assert not _problems(report, "row_altered")  # the edit itself is covered by the new chain


def make_record_id(store: Store) -> str:
    from sqlalchemy import text

    with store.read() as conn:
        return str(conn.execute(text("SELECT id FROM records LIMIT 1")).scalar_one())


def test_the_pinned_fingerprint_setting_is_normalised_or_refused_naming_it(tmp_path: Path):
    from liuhen.config import Settings
    from liuhen.errors import ConfigError

    fingerprint = key_fingerprint(generate_key())
    bare = fingerprint.removeprefix("SHA256:").upper()
    env = {"LIUHEN_DATA_DIR": str(tmp_path), "LIUHEN_LEDGER_FINGERPRINT": f" {bare} "}
    assert Settings.from_env(env).ledger_fingerprint == fingerprint
    with pytest.raises(ConfigError, match="LIUHEN_LEDGER_FINGERPRINT"):
        Settings.from_env({**env, "LIUHEN_LEDGER_FINGERPRINT": "SHA256:abc"})
