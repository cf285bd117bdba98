"""What a job is to its work and to a page: the work gets a ``JobContext`` (the store, the
job's arguments, the one who asked, a progress reporter, a stop signal), a page gets a
``JobView`` of the job's row (``store/job_rows.py``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from liuhen.ledger.events import Actor
from liuhen.store.store import Store

STATE_NAMES = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "未完成"}
KIND_NAMES = {
    "export": "导出",
    "four_properties": "四性检测",
    "footage_detect": "人脸检测",
    "footage_render": "制作遮盖后的视频",
    "party_copy": "制作复制件",
    "summaries": "按新的节假日安排重新评查",
    "fixity": "定期复核",
    "export_cleanup": "清理过期的导出文件",
    "job_cleanup": "清理已结束的后台任务记录",
}


class Stopped(Exception):
    """The node is stopping: the work gives up; its job waits for the next claim."""


def actor_args(actor: Actor) -> dict[str, Any]:
    """The one who asked, as a job's arguments carry them."""
    return {**asdict(actor), "roles": list(actor.roles)}


def actor_of(args: Mapping[str, Any]) -> Actor:
    data = dict(args["actor"])
    return Actor(**{**data, "roles": tuple(data.get("roles", ()))})


@dataclass
class JobContext:
    store: Store
    job: dict[str, Any]
    report: Callable[[float, str], None]
    """``report(share, step)``: the share done (0..1) and what is being done, now and then."""
    stopping: threading.Event

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.job["args"])

    @property
    def actor(self) -> Actor:
        return actor_of(self.job["args"])

    def progress(self, share: float) -> None:
        """``report`` without a step (for work that reports a share only)."""
        self.report(share, "")

    def sleep(self, seconds: float) -> None:
        """A throttle's pause: returns early, and gives the job back, when stopping."""
        if self.stopping.wait(seconds):
            raise Stopped


@dataclass(frozen=True)
class JobView:
    id: str
    kind: str
    key: str
    state: str
    progress: float
    step: str
    node: str | None
    attempts: int
    error: str
    result: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> JobView:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    @property
    def label(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]

    @property
    def percent(self) -> int:
        return 100 if self.state == "done" else int(self.progress * 100)

    @property
    def submitted_at(self) -> datetime:
        return self.created_at

    def to_dict(self) -> dict[str, Any]:
        times = ("created_at", "started_at", "finished_at")
        body = {k: v for k, v in asdict(self).items() if k not in times}
        body.update({k: getattr(self, k) and getattr(self, k).isoformat() for k in times})
        return body | {"state_name": self.state_name, "percent": self.percent}
