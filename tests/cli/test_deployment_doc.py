"""docs/deployment.md as an operator reads it: every ``liuhen`` command in its code blocks
exists with the options it shows, and the one-machine, cluster, backup-drill and upgrade
steps run in the order written (SQLite; the cluster's, on PostgreSQL and SeaweedFS, in
tests/integration/blobs/test_deployment_cluster.py)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from tests.helpers import run_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
PASSWORD = "Admin-pass-2026x"


def _section(title: str) -> str:
    return DOC.read_text("utf-8").split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def _commands(text: str) -> list[list[str]]:
    """The ``liuhen`` command lines of the text's code blocks, comments left out."""
    lines = [
        line
        for block in re.findall(r"```[a-z]*\n(.+?)\n```", text, re.S)
        for line in block.splitlines()
    ]
    split = [shlex.split(line.split("  #", 1)[0].split(" # ", 1)[0]) for line in lines]
    return [c for c in split if c and c[0] == "liuhen"]


def _env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, database_url: str = "") -> None:
    monkeypatch.setenv("LIUHEN_ENV", "test")
    monkeypatch.setenv("LIUHEN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LIUHEN_ADMIN_PASSWORD", PASSWORD)
    for name in ("LIUHEN_STORE_URL", "LIUHEN_AS_USER", "LIUHEN_LEDGER_FINGERPRINT"):
        monkeypatch.delenv(name, raising=False)
    if database_url:
        monkeypatch.setenv("LIUHEN_DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)


def _run(command: list[str], where: dict[str, str] | None = None) -> tuple[int, str]:
    args = [(where or {}).get(a, a) for a in command[1:]]
    result = run_cli(args)
    return result.code, result.out + result.err


def test_every_command_in_the_doc_exists_with_its_options() -> None:
    """Each line parsed by the real CLI with ``--help`` added: an unknown command or option
    fails the parse (exit 2) before the help is printed."""
    commands = _commands(DOC.read_text("utf-8"))
    assert len(commands) >= 12, commands
    for command in commands:
        result = run_cli([*command[1:], "--help"])
        assert result.code == 0 and "Usage:" in result.out, (command, result.err)


def test_one_machine_steps_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = _commands(_section("一台机器 / One machine"))
    assert [c[1] for c in commands] == ["doctor", "init", "serve"]
    _env(monkeypatch, tmp_path / "srv")
    init = commands[1]
    code, out = _run(init)
    assert code == 0 and "已创建管理员：admin" in out, out
    code, out = _run(commands[0])  # doctor, after init: nothing missing on this machine
    assert code == 0, out
    # serve blocks: its options are checked above, the app it starts by every web test


def test_backup_drill_and_upgrade_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drill = _commands(_section("备份计划与恢复演练 / Backup schedule and restore drill"))
    assert [c[1] for c in drill] == ["backup", "verify", "verify", "restore", "verify"]
    assert drill[1][2:] == ["--since-last"]  # hourly, then the weekly full run
    upgrade = _commands(_section("升级 / Upgrade"))
    assert [c[1] for c in upgrade] == ["backup", "init", "doctor", "verify"]
    where = {
        "/srv/backup/liuhen-20261205": str(tmp_path / "backup"),
        "/srv/backup/liuhen-before-upgrade": str(tmp_path / "before-upgrade"),
    }
    running, empty = tmp_path / "srv", tmp_path / "empty-machine"
    _env(monkeypatch, running)
    assert _run(["liuhen", "init"])[0] == 0
    for n, command in enumerate(drill):
        _env(monkeypatch, empty if n >= 3 else running)  # the drill restores on an empty one
        code, out = _run(command, where)
        assert code == 0, (command, out)
    _env(monkeypatch, empty)  # the restored machine, upgraded in place
    for command in upgrade:
        code, out = _run(command, where)
        assert code == 0, (command, out)
    assert (tmp_path / "before-upgrade" / "MANIFEST").exists()
