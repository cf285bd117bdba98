"""``liuhen check`` and ``liuhen profiles``: run without a server or data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from liuhen.cli import cli

ROOT = Path(__file__).resolve().parents[2]
TOWNSHIP = str(ROOT / "docs" / "examples" / "township-general-penalty.json")
FORESTRY = str(ROOT / "docs" / "examples" / "forestry-inspection-rectification.json")
KEYS = {"rule_id", "citation", "severity", "status", "due", "subject", "message", "remedy"}


def run(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def main_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real entry point (exit codes are mapped in liuhen.cli.main)."""
    code = "from liuhen.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env=env,
    )


@pytest.fixture
def late_bundle(tmp_path) -> Path:
    data = json.loads(Path(TOWNSHIP).read_text("utf-8"))
    data["av_records"][0]["stored_at"] = "2026-09-17T10:00:00+08:00"
    path = tmp_path / "late.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


def test_check_json_prints_one_document_per_run_with_cases_and_findings(
    late_bundle: Path, tmp_path
) -> None:
    result = run(
        "check", str(late_bundle), FORESTRY, "--now", "2026-11-23T09:00:00+08:00", "--json"
    )
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert [c["case_id"] for c in doc["cases"]] == ["C-2026-012", "C-2026-L07"]
    first, second = doc["cases"]
    assert first["profile"] == "township-legal-office" and first["bundle"] == str(late_bundle)
    assert second["findings"] == []
    found = first["findings"]
    assert [f["rule_id"] for f in found] == ["av-upload-deadline"]
    assert (
        KEYS <= set(found[0])
        and found[0]["citation"] == "002§31"
        and found[0]["status"] == "violation"
    )
    assert not (tmp_path / "liuhen-data").exists()


def test_check_profile_option_overrides_the_bundle_profile(late_bundle: Path) -> None:
    doc = json.loads(
        run(
            "check",
            str(late_bundle),
            "--profile",
            "shanxi-township",
            "--now",
            "2026-11-23",
            "--json",
        ).output
    )
    assert doc["cases"][0]["profile"] == "shanxi-township"
    assert [f["citation"] for f in doc["cases"][0]["findings"]] == ["000§16"]


def test_check_without_json_prints_a_chinese_table(late_bundle: Path) -> None:
    result = run("check", str(late_bundle), "--now", "2026-11-23T09:00:00+08:00")
    assert result.exit_code == 0
    assert "1 项问题（违规 1，待办 0）" in result.output
    assert (
        "序号  状态  严重程度" in result.output
        and "002§31" in result.output
        and "整改：" in result.output
    )


def test_clean_bundle_says_no_problems() -> None:
    result = run("check", FORESTRY, "--now", "2026-11-23T09:00:00+08:00")
    assert "未发现问题" in result.output


def test_pending_finding_shows_its_due_time(tmp_path) -> None:
    data = json.loads(Path(TOWNSHIP).read_text("utf-8"))
    del data["av_records"][0]["stored_at"]
    path = tmp_path / "pending.json"
    path.write_text(json.dumps(data), "utf-8")
    doc = json.loads(run("check", str(path), "--now", "2026-09-14T12:00:00+08:00", "--json").output)
    pending = [f for f in doc["cases"][0]["findings"] if f["rule_id"] == "av-upload-deadline"]
    assert pending[0]["status"] == "pending" and pending[0]["due"] == "2026-09-15T09:40:00+08:00"


def test_calendar_option_loads_an_override_file(tmp_path) -> None:
    data = json.loads(Path(TOWNSHIP).read_text("utf-8"))
    for key in ("started_at", "ended_at"):
        data["acts"][1][key] = data["acts"][1][key].replace("2026-09-15", "2026-12-31")
    for key in ("started_at", "ended_at", "made_at"):
        data["text_records"][1][key] = data["text_records"][1][key].replace(
            "2026-09-15", "2026-12-31"
        )
    av = data["av_records"][1]
    for seg in av["segments"]:
        seg["start"], seg["end"] = (
            seg[k].replace("2026-09-15", "2026-12-31") for k in ("start", "end")
        )
    av["precheck"]["at"] = av["precheck"]["at"].replace("2026-09-15", "2026-12-31")
    av["stored_at"] = "2027-01-04T10:00:00+08:00"
    path = tmp_path / "newyear.json"
    path.write_text(json.dumps(data), "utf-8")
    cal = tmp_path / "2027.yaml"
    cal.write_text("2027:\n  holidays: [2027-01-01..2027-01-03]\n  workdays: []\n", "utf-8")
    args = (
        "check",
        str(path),
        "--profile",
        "shanxi-township",
        "--now",
        "2027-01-05T09:00:00+08:00",
        "--json",
    )
    unknown = json.loads(run(*args).output)["cases"][0]["findings"]
    assert [(f["rule_id"], f["calendar_unknown"]) for f in unknown] == [
        ("av-upload-deadline", True)
    ]
    known = json.loads(run(*args, "--calendar", str(cal)).output)["cases"][0]["findings"]
    assert known == []


def test_bad_bundle_exits_2_with_json_paths(tmp_path) -> None:
    data = json.loads(Path(TOWNSHIP).read_text("utf-8"))
    data["acts"][0]["ended_at"] = "2026-09-14T08:00:00+08:00"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), "utf-8")
    proc = main_process("check", str(path), "--json", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    error = json.loads(proc.stderr)
    assert error["error"] == "bundle_invalid"
    assert any("$.acts[0].ended_at: 结束时间早于开始时间" in d for d in error["details"])


def _env(tmp_path: Path) -> dict[str, str]:
    """A data directory of its own for a command that needs one (``init`` makes it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
    return {
        **env,
        "LIUHEN_DATA_DIR": str(tmp_path / "data"),
        "LIUHEN_ENV": "test",
        "LIUHEN_ADMIN_PASSWORD": "Admin-pass-2026",
    }


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"[" * 100_000 + b"]" * 100_000, "嵌套过深"), (b"\xff\xfe{}", "不是 UTF-8")],
    ids=["deep", "not-utf8"],
)
def test_a_deep_or_undecodable_bundle_exits_2_without_a_traceback(
    tmp_path, content: bytes, says: str
) -> None:
    path = tmp_path / "odd.json"
    path.write_bytes(content)
    env = _env(tmp_path)
    assert main_process("init", "--json", cwd=tmp_path, env=env).returncode == 0
    for command in ("check", "import"):
        proc = main_process(command, str(path), "--json", cwd=tmp_path, env=env)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-500:]
        error = json.loads(proc.stderr)
        assert error["error"] == "bundle_invalid", command
        assert says in error["message"] + "".join(error["details"]), command


def test_a_bundle_holding_a_lone_surrogate_is_checked_but_never_imported(tmp_path) -> None:
    """JSON may escape a lone surrogate; no database stores one alike (SQLite and PostgreSQL
    refuse to encode it): the import refuses it by JSON path, exit 2."""
    text = Path(TOWNSHIP).read_text("utf-8").replace('"title": "', '"title": "\\ud800', 1)
    path = tmp_path / "odd.json"
    path.write_text(text, "utf-8")
    env = _env(tmp_path)
    assert main_process("init", "--json", cwd=tmp_path, env=env).returncode == 0
    assert main_process("check", str(path), cwd=tmp_path, env=env).returncode == 0
    proc = main_process("import", str(path), "--json", cwd=tmp_path, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-500:]
    assert "$.case.title: 含有无法编码的字符" in proc.stderr


def test_unknown_profile_and_bad_now_exit_2(tmp_path) -> None:
    assert main_process("check", TOWNSHIP, "--profile", "nope", cwd=tmp_path).returncode == 2
    proc = main_process("check", TOWNSHIP, "--now", "yesterday", cwd=tmp_path)
    assert proc.returncode == 2 and "--now" in proc.stderr


def test_findings_do_not_change_the_exit_code(late_bundle: Path, tmp_path) -> None:
    proc = main_process(
        "check", str(late_bundle), "--now", "2026-11-23T09:00:00+08:00", cwd=tmp_path
    )
    assert proc.returncode == 0 and "av-upload-deadline" in proc.stdout


def test_profiles_json_lists_profiles_with_rules() -> None:
    doc = json.loads(run("profiles", "--json").output)
    ids = [p["id"] for p in doc["profiles"]]
    assert {
        "shanxi-township",
        "pengyang-bureau",
        "township-legal-office",
        "zhangying-town",
        "shanxi-forestry",
    } <= set(ids)
    forestry = next(p for p in doc["profiles"] if p["id"] == "shanxi-forestry")
    rule = next(r for r in forestry["rules"] if r["id"] == "case-file-deadline")
    assert rule["params"] == {"within": "30 days"} and rule["citation"] == "004§35"


def test_profiles_table_and_extra_file(tmp_path) -> None:
    extra = tmp_path / "x.yaml"
    extra.write_text("id: x-town\nname: X镇\nextends: shanxi-township\n", "utf-8")
    result = run("profiles", "--file", str(extra))
    assert "x-town" in result.output and "规则数" in result.output


def test_check_names_the_regulation_by_its_title_not_its_profile_id() -> None:
    result = run("check", TOWNSHIP, "--now", "2026-11-23T09:00:00+08:00")
    head = result.output.splitlines()[0]
    assert "依据《乡镇行政执法全过程记录办法（法制科审核）》" in head
    assert "township-legal-office" not in result.output


def test_a_decision_without_a_rights_notice_says_what_was_not_told(tmp_path) -> None:
    data = json.loads(Path(TOWNSHIP).read_text("utf-8"))
    for r in data["text_records"]:  # the 告知书 made only after the decision
        if r["kind"] == "rights_notice":
            r["made_at"] = "2026-11-22T09:00:00+08:00"
    path = tmp_path / "untold.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    doc = json.loads(run("check", str(path), "--now", "2026-11-23T09:00:00+08:00", "--json").output)
    [told] = [f for f in doc["cases"][0]["findings"] if f["rule_id"] == "rights-notified"]
    assert (
        "作出决定前未告知拟处罚内容及陈述、申辩等权利（没有行政处罚事先告知书）" in told["message"]
    )
    assert "未告知事先告知" not in told["message"]
