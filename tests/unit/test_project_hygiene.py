"""What users and developers rely on: generated docs current, lint clean, types checked,
layers respected, and CI running exactly the README's test command."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from liuhen.docgen import PAGES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_reference_page_is_current(name):
    committed = (ROOT / "docs" / name).read_text("utf-8")
    assert committed == PAGES[name](), f"docs/{name} is stale: run python -m liuhen.docgen"


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_shows_exactly_two_setup_commands_and_ci_runs_the_test_one():
    commands = set(_readme_commands())
    assert len(commands) == 2, commands
    test_command = next(c for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert test_command in ci.splitlines()


def test_ruff_lint_and_format_are_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the test extra"
    lint = subprocess.run(
        [ruff, "check", "src", "tests", "bench", "scripts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [ruff, "format", "--check", "src", "tests", "bench", "scripts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.slow
def test_mypy_strict_is_clean():
    """``[tool.mypy]`` in pyproject.toml: strict, over src/liuhen (about 20 s of CPU without
    a cache). The cache is the user's, not the checkout's, so a fresh clone on a machine that
    ran the suite before checks only what changed (mypy's incremental mode: a module whose
    source hash is unchanged keeps its result; a different mypy version ignores the cache)."""
    cache = Path.home() / ".cache" / "liuhen-tests" / "mypy"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layers_hold():
    linter = Path(sys.executable).parent / "lint-imports"
    command = [str(linter)] if linter.exists() else [shutil.which("lint-imports") or "lint-imports"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
