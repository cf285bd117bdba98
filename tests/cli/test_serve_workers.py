"""``liuhen serve --workers N``: the worker processes get their settings from the
environment; on SQLite they share the database file, so each write there is a transaction
of its own unless ``LIUHEN_WRITE_BATCH`` says otherwise (the write group's batches of
several processes would wait for SQLite's lock one waiter a process); on PostgreSQL the
setting is passed on as it is."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from liuhen.cli.setup_cmds import _serve_workers
from liuhen.config import Settings
from liuhen.web import workers


def _started(monkeypatch: pytest.MonkeyPatch, settings: Settings, **env: str) -> dict[str, Any]:
    environ = {k: v for k, v in os.environ.items() if k != "LIUHEN_WRITE_BATCH"} | env
    monkeypatch.setattr(os, "environ", environ)
    seen: dict[str, Any] = {}

    def serve(options: dict[str, Any], count: int) -> None:
        seen.update(options, workers=count, env=dict(os.environ))

    monkeypatch.setattr(workers, "serve", serve)
    _serve_workers(settings, "127.0.0.1", 8000, 2)
    return seen


def test_workers_on_sqlite_write_alone_unless_told(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = Settings.from_env({"LIUHEN_DATA_DIR": str(tmp_path), "LIUHEN_ENV": "test"})
    seen = _started(monkeypatch, settings)
    assert seen["workers"] == 2 and seen["app"] == "liuhen.web.app:app_from_environment"
    assert seen["env"]["LIUHEN_WRITE_BATCH"] == "1"
    assert seen["env"]["LIUHEN_DATA_DIR"] == str(tmp_path)
    told = _started(monkeypatch, replace(settings, write_batch=16), LIUHEN_WRITE_BATCH="16")
    assert told["env"]["LIUHEN_WRITE_BATCH"] == "16"  # what the operator set stays


def test_workers_on_postgresql_keep_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = replace(
        Settings.from_env({"LIUHEN_DATA_DIR": str(tmp_path), "LIUHEN_ENV": "test"}),
        database_url="postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    seen = _started(monkeypatch, settings)
    assert seen["env"]["LIUHEN_WRITE_BATCH"] == "64"
