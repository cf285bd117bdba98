"""Every ``liuhen`` command starts a Python process: what it imports before doing anything
is paid by each CLI call an operator scripts, each node start and each process the suite
starts. boto3 (~0.13 s of CPU, a quarter of the CLI's start) is imported only where a
bucket is used."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["liuhen.cli", "liuhen.web.app"])
def test_the_cli_and_the_app_start_without_boto3(module: str) -> None:
    code = (
        f"import sys, {module}; print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
