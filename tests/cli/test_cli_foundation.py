"""The foundation commands as operators script them: init, demo, cases, verify, ledger, user."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.helpers import run_cli

PASSWORD = "Admin-pass-2026"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "LIUHEN_DATA_DIR": str(tmp_path / "data"),
        "LIUHEN_ADMIN_PASSWORD": PASSWORD,
        "LIUHEN_ENV": "test",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("LIUHEN_STORE_URL", raising=False)
    return values


def test_init_creates_data_dir_key_and_admin_once(env):
    first = run_cli(["init", "--json"])
    assert first.code == 0, first.err
    data = first.json()
    assert data["created_schema"] is True and data["admin_created"] == "admin"
    assert data["key_fingerprint"].startswith("SHA256:")
    key = Path(env["LIUHEN_DATA_DIR"]) / "keys" / "ledger-ed25519.pem"
    assert key.exists() and (key.stat().st_mode & 0o077) == 0
    assert (Path(env["LIUHEN_DATA_DIR"]) / "liuhen.sqlite3").exists()
    second = run_cli(["init", "--json"])
    assert second.code == 0
    assert second.json()["admin_created"] is None and second.json()["created_schema"] is False


def test_init_without_password_and_without_terminal_says_what_to_do(env, monkeypatch):
    monkeypatch.delenv("LIUHEN_ADMIN_PASSWORD")
    result = run_cli(["init"])
    assert result.code == 2
    assert "LIUHEN_ADMIN_PASSWORD" in result.err
    assert not (Path(env["LIUHEN_DATA_DIR"]) / "liuhen.sqlite3").exists()


def test_init_refuses_a_weak_password_and_creates_no_admin(env, monkeypatch):
    monkeypatch.setenv("LIUHEN_ADMIN_PASSWORD", "short")
    result = run_cli(["init"])
    assert result.code == 2
    assert "密码至少" in result.err
    monkeypatch.setenv("LIUHEN_ADMIN_PASSWORD", PASSWORD)
    assert run_cli(["init", "--json"]).json()["admin_created"] == "admin"


def test_unwritable_data_dir_fails_with_one_line_naming_the_setting(tmp_path, monkeypatch, env):
    if os.geteuid() == 0:
        # root ignores permission bits; a path below a regular file is unwritable for anyone.
        blocker = tmp_path / "file"
        blocker.write_text("x")
        target = blocker / "data"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "data"
    monkeypatch.setenv("LIUHEN_DATA_DIR", str(target))
    result = run_cli(["init"])
    assert result.code == 2
    assert result.err.startswith("错误：LIUHEN_DATA_DIR:")
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LIUHEN_DATABASE_URL", "mysql://nowhere/db", "LIUHEN_DATABASE_URL"),
        ("LIUHEN_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none", "无法连接数据库"),
        ("LIUHEN_STORE_URL", "ftp://x/y", "LIUHEN_STORE_URL"),
        ("LIUHEN_STORE_URL", "s3://bucket/prefix", "LIUHEN_S3_ENDPOINT"),
        ("LIUHEN_TIMEZONE", "Mars/Olympus", "LIUHEN_TIMEZONE"),
        ("LIUHEN_SESSION_IDLE_MINUTES", "soon", "LIUHEN_SESSION_IDLE_MINUTES"),
    ],
)
def test_bad_setting_fails_with_one_clear_line(env, monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    result = run_cli(["init"])
    assert result.code == 2
    assert expected in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_unreachable_database_is_reported_before_asking_for_a_password(env, monkeypatch):
    monkeypatch.delenv("LIUHEN_ADMIN_PASSWORD")
    monkeypatch.setenv("LIUHEN_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = run_cli(["init"])
    assert result.code == 2
    assert "无法连接数据库" in result.err and "LIUHEN_ADMIN_PASSWORD" not in result.err


def test_commands_before_init_say_to_run_init(env):
    result = run_cli(["cases"])
    assert result.code == 2
    assert "liuhen init" in result.err


def test_an_upgrade_says_to_run_init_and_init_brings_the_schema_up(env):
    """After installing a version with new migrations, commands refuse with one line until
    ``liuhen init`` has migrated; the records already there stay as they were."""
    from alembic import command

    from liuhen.config import Settings
    from liuhen.store.database import alembic_config, make_engine

    assert run_cli(["init"]).code == 0
    assert run_cli(["demo"]).code == 0
    before = run_cli(["cases", "--json"]).json()
    engine = make_engine(Settings.from_env(dict(env)))
    command.downgrade(alembic_config(engine), "0003")  # as an older LiuHen left it
    engine.dispose()
    refused = run_cli(["cases"])
    assert refused.code == 2 and "liuhen init" in refused.err and "0003" in refused.err
    upgraded = run_cli(["init", "--json"])
    assert upgraded.code == 0, upgraded.err
    assert upgraded.json()["admin_created"] is None
    assert upgraded.json()["upgraded_from"] == "0003"  # the operator sees that it migrated
    head = upgraded.json()["schema_revision"]
    assert head > "0003"
    again = run_cli(["init"])  # and the next run, that there was nothing to do
    assert again.code == 0 and "数据库：已是最新结构" in again.out, again.out
    assert run_cli(["cases", "--json"]).json() == before
    # What the downgrade itself destroyed (an older LiuHen never had these rows: the register
    # of numbers, migration 0025, dropped with its table) is all verify may find.
    found = run_cli(["verify", "--json"]).json()["problems"]
    assert {(p["kind"], p["object"].split("/")[0]) for p in found} <= {
        ("row_deleted", "issued_numbers")
    }, found


def test_demo_then_cases_verify_checkpoint_and_proof(env):
    assert run_cli(["init"]).code == 0
    demo = run_cli(["demo", "--json"])
    assert demo.code == 0, demo.err
    assert demo.json()["loaded"] is True
    accounts = Path(demo.json()["accounts_file"])
    assert (accounts.stat().st_mode & 0o077) == 0
    assert "\t张建国\t执法人员" in accounts.read_text("utf-8").split("zhangjg\t")[1].split("\n")[0]
    again = run_cli(["demo", "--json"])
    assert again.json()["loaded"] is False

    cases = {c["number"]: c for c in run_cli(["cases", "--json"]).json()["cases"]}
    assert len(cases) == 11
    assert {c["procedure"] for c in cases.values()} == {
        "general",
        "simple",
        "inspection",
        "coercion",
        "application",
        "complaint",
    }
    first = cases["示镇综执立〔2026〕12号"]
    assert first["procedure"] == "general" and first["stage"] == "initiation"
    assert cases["示镇综执罚〔2026〕22号"]["violations"] == 1  # AV stored 72 hours late
    assert cases["示镇综执罚〔2026〕21号"]["open_findings"] == 0

    verify = run_cli(["verify", "--json"])
    assert verify.code == 0
    assert verify.json()["ok"] is True and verify.json()["blobs"] == 2

    checkpoint = run_cli(["ledger", "checkpoint", "--json"]).json()
    assert checkpoint["tree_size"] > 20

    proof = run_cli(["ledger", "proof", "3", "--json"])
    assert proof.code == 0
    body = proof.json()
    assert body["verified"] is True
    assert body["checkpoint"]["tree_size"] == checkpoint["tree_size"]
    assert len(body["proof"]) >= 4

    missing = run_cli(["ledger", "proof", "999999", "--json"])
    assert missing.code == 2 and "999999" in missing.err


def test_human_output_is_chinese(env):
    run_cli(["init"])
    assert "暂无案件" in run_cli(["cases"]).out
    verify = run_cli(["verify"])
    assert verify.code == 0 and "完整性校验通过" in verify.out


def test_verify_with_jobs_checks_the_ledger_with_a_helper_and_refuses_zero(env, monkeypatch):
    """``--jobs 2``: a helper process checks ranges of the ledger (here of one event each,
    so it has some on a new store); ``--jobs 0`` is bad input."""
    from liuhen.services.archiving.integrity import ranges

    run_cli(["init"])
    for n in range(3):
        command = ["user", "add", f"u{n}", "--name", f"王{n}", "--role", "officer"]
        assert run_cli([*command, "--password", "Officer-pass-1"]).code == 0
    monkeypatch.setattr(ranges, "RANGE", 1)
    helped = run_cli(["verify", "--jobs", "2", "--read-only", "--json"])
    assert helped.code == 0, helped.err
    assert helped.json()["ok"] is True and helped.json()["events"] >= 3 * ranges.RANGE
    refused = run_cli(["verify", "--jobs", "0"])
    assert refused.code == 2 and "--jobs" in refused.err


def test_user_add_checks_roles_and_policy(env):
    run_cli(["init"])
    ok = run_cli(
        [
            "user",
            "add",
            "wang",
            "--name",
            "王五",
            "--role",
            "officer",
            "--password",
            "Officer-pass-1",
            "--json",
        ]
    )
    assert ok.code == 0, ok.err
    assert ok.json()["roles"] == ["officer"]
    dup = run_cli(
        [
            "user",
            "add",
            "wang",
            "--name",
            "王五",
            "--role",
            "officer",
            "--password",
            "Officer-pass-1",
        ]
    )
    assert dup.code == 2 and "已存在" in dup.err
    bad = run_cli(
        ["user", "add", "zhao", "--name", "赵六", "--role", "boss", "--password", "Officer-pass-1"]
    )
    assert bad.code == 2 and "roles" in bad.err


def test_export_bundle_and_import_into_an_empty_data_dir(env, tmp_path, monkeypatch):
    run_cli(["init"])
    run_cli(["demo"])
    out = tmp_path / "case.json"
    exported = run_cli(["export-bundle", "示镇综执罚〔2026〕22号", "--out", str(out)])
    assert exported.code == 0, exported.err
    before = {c["number"]: c for c in run_cli(["cases", "--json"]).json()["cases"]}
    monkeypatch.setenv("LIUHEN_DATA_DIR", str(tmp_path / "empty"))
    run_cli(["init"])
    imported = run_cli(["import", str(out), "--json"])
    assert imported.code == 0, imported.err
    assert imported.json()["imported"][0]["created"] is True
    again = run_cli(["import", str(out), "--json"])
    assert again.json()["imported"][0]["created"] is False
    after = run_cli(["cases", "--json"]).json()["cases"]
    assert [(c["number"], c["violations"], c["pending"]) for c in after] == [
        (n, before[n]["violations"], before[n]["pending"]) for n in ["示镇综执罚〔2026〕22号"]
    ]


def test_import_of_a_broken_bundle_names_the_path_and_changes_nothing(env, tmp_path):
    run_cli(["init"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "liuhen-case-bundle", "version": 1, "case": {}}', encoding="utf-8")
    result = run_cli(["import", str(bad)])
    assert result.code == 2
    assert "$." in result.err and str(bad) in result.err
    assert run_cli(["cases", "--json"]).json()["cases"] == []
    missing = run_cli(["export-bundle", "没有这个案件"])
    assert missing.code == 2 and "没有编号或标识为" in missing.err
