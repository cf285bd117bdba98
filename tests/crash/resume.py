"""After a kill and the next start: finish the operation as its user would, then check again.

The station resumes its upload from the offset the server reports (HEAD), as tus clients do;
the operator runs ``import-av`` or ``import`` again; an export the kill stopped before its
event is run again (one whose event was recorded was completed by the start). A paused upload
that the start removed, or a command that no longer succeeds, is a problem.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from liuhen.config import Settings
from liuhen.errors import LiuhenError
from liuhen.ledger.events import Actor
from liuhen.services.av.uploads import Uploads
from liuhen.store.store import Store
from tests.crash import checks
from tests.crash.driver import STATION, send
from tests.crash.world import World, env_of
from tests.helpers import run_cli


def resume(world: World, settings: Settings, op: str, out: Path, stdout: str) -> list[str]:
    if op == "tus":
        problem = _resume_upload(world, settings, stdout)
    elif op in ("views", "writes"):
        return []  # nothing to finish: a reader whose page failed asks for it again
    elif op == "export" and out.exists():
        problem = None  # completed at the start
    else:
        problem = _again(world, settings, op, out)
    return [problem] if problem else checks.problems(settings, out.parent)


def _resume_upload(world: World, settings: Settings, stdout: str) -> str | None:
    created = [line.split()[1] for line in stdout.splitlines() if line.startswith("created")]
    if not created or any(line.startswith("finished") for line in stdout.splitlines()):
        return _again(world, settings, "tus", Path())  # the station never learnt an id
    store = Store.open(settings)
    actor = Actor(id=None, label=STATION, roles=("custodian",))
    uploads = Uploads(store)
    try:
        info, offset = uploads.get(actor, created[0])
        if info.state != "done":
            data = world.inputs["video"].read_bytes()
            send(uploads, actor, info.id, offset, data[offset:])
        status = uploads.get(actor, info.id)[0].result or {}
    except LiuhenError as exc:
        return f"续传上传 {created[0]} 失败：{exc}"
    finally:
        store.close()
    if status.get("status") not in ("new", "duplicate"):
        return f"续传上传的结果为 {status.get('status')}：{status.get('reason')}"
    return None


def _again(world: World, settings: Settings, op: str, out: Path) -> str | None:
    if op == "tus":
        from tests.crash.driver import tus

        with contextlib.redirect_stdout(io.StringIO()):
            _with_env(settings, lambda: tus(world.inputs["video"]))
        return None
    result = _with_env(settings, lambda: run_cli(world.argv(op, out)))
    if result.code != 0:
        return f"重新执行 {op} 退出码 {result.code}：{result.err.strip()[-300:]}"
    return None


def _with_env(settings: Settings, action):  # type: ignore[no-untyped-def]
    env = env_of(settings)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return action()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
