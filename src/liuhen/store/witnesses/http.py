"""Talking to a witness over HTTP (``liuhen witness serve``, or any C2SP tlog-witness for
``add-checkpoint``). Standard library only; short timeouts, since a witness that is down
must never hold up a write: the caller treats ``WitnessUnreachable`` as "lagging"."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

TIMEOUT = 3.0


class WitnessUnreachable(Exception):
    """The witness did not answer (refused, timed out, not HTTP)."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: str


def _call(url: str, data: bytes | None, timeout: float) -> Reply:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        request.add_header("Content-Type", "text/plain; charset=utf-8")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Reply(response.status, response.read(1 << 20).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.read(1 << 16).decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise WitnessUnreachable(str(getattr(exc, "reason", exc))) from exc


class HttpWitness:
    def __init__(self, base_url: str, timeout: float = TIMEOUT) -> None:
        self.base = base_url.rstrip("/")
        self.timeout = timeout

    def add_checkpoint(self, body: bytes) -> Reply:
        return _call(self.base + "/add-checkpoint", body, self.timeout)

    def rotate(self, note: str) -> Reply:
        return _call(self.base + "/liuhen/rotate", note.encode("utf-8"), self.timeout)

    def log_state(self, origin: str) -> dict[str, Any] | None:
        """What the witness holds for ``origin``; None when it does not know the log."""
        query = urllib.parse.urlencode({"origin": origin})
        reply = _call(f"{self.base}/liuhen/log?{query}", None, self.timeout)
        if reply.status == 404:
            return None
        if reply.status != 200:
            raise WitnessUnreachable(f"HTTP {reply.status}: {reply.body.strip()[:200]}")
        try:
            data = json.loads(reply.body)
        except ValueError as exc:
            raise WitnessUnreachable(f"not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise WitnessUnreachable("not a JSON object")
        return data
