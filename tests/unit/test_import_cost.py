"""Every ``liuhen`` command starts a Python process: what it imports before doing anything
is paid by each CLI call an operator scripts, each node start and each process the suite
starts. boto3 (~0.13 s of CPU, a quarter of the CLI's start) is imported only where a
bucket is used; WeasyPrint (~0.5 s) only where a PDF is drawn; openpyxl (~0.2 s) only
where a workbook is written."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("boto3", "botocore", "weasyprint", "openpyxl")
STARTS = {
    "liuhen.cli": "import liuhen.cli",
    "liuhen.web.app": (  # the app with every route module imported, as create_app does
        "import liuhen.web.app as app; from fastapi import FastAPI; app._include_routers(FastAPI())"
    ),
}


@pytest.mark.parametrize("start", sorted(STARTS))
def test_the_cli_and_the_app_start_without_the_heavy_libraries(start: str) -> None:
    code = f"import sys; {STARTS[start]}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
