"""What the tests of resumable uploads on S3 share: a store in the test bucket under a fresh
prefix, and 20 MiB of footage (a real one-second MP4 padded with random bytes, so the
upload spans two 16 MiB parts)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import ADMIN_PASSWORD

from liuhen.media.synthetic import make_video, padding_box
from liuhen.services.admin.setup import initialise
from liuhen.store.store import Store

from .nodes import s3_env

MIB = 1 << 20
START = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
"""When the footage was recorded; the stores' clock stands a day later."""


def open_store(
    endpoint: str, tmp_path: Path, make_settings: Callable[..., Any], clock: Any, prefix: str
) -> Iterator[Store]:
    """An initialised store on S3 (a fixture's body: yields it, closes it)."""
    settings = make_settings(tmp_path / "data", env=s3_env(endpoint, prefix))
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    clock.now = START + timedelta(days=1)
    opened = Store.open(settings, clock=clock)
    yield opened
    opened.close()


def footage(folder: Path) -> bytes:
    path = folder / "v.mp4"
    make_video(path, seconds=1, width=96, height=64, creation_time=START)
    video = path.read_bytes()
    size = 20 * MIB
    return video + padding_box(size - len(video)) + os.urandom(size - len(video) - 8)
