"""A test client's request in one trip to the event loop.

Starlette's ``TestClient`` (1.x) streams each response back to the test's thread: it makes
the request's events, its body stream and its cancel scope with a call into the portal's
loop each, and fetches every body chunk with another, about eight thread hand-offs a request
(~2 ms of CPU on this machine for a route that costs the app 0.04 ms; the suite sends tens
of thousands). ``handle_request`` here runs the whole exchange — the app, its ``receive``
and ``send`` — in one ``portal.call`` and hands back the finished response, as a server's
client sees it. The app, its middleware and its exceptions are the same; only the client's
side no longer streams (no test reads a response through ``TestClient`` in pieces; the
bounded-memory downloads are measured against a live server). WebSocket requests go the
original way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import anyio
import httpx2 as httpx
from starlette.testclient import _TestClientTransport

Message = dict[str, Any]
ORIGINAL: Callable[[_TestClientTransport, httpx.Request], httpx.Response] = (
    _TestClientTransport.handle_request
)


def _scope(transport: _TestClientTransport, request: httpx.Request) -> dict[str, Any]:
    """The HTTP scope Starlette's transport builds for ``request``."""
    url = request.url
    port = url.port or {"http": 80, "https": 443}[url.scheme]
    headers = [] if "host" in request.headers else [(b"host", url.netloc)]
    headers += [(k.lower().encode(), v.encode()) for k, v in request.headers.multi_items()]
    return {
        "type": "http",
        "http_version": "1.1",
        "method": request.method,
        "path": unquote(url.path),
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "root_path": transport.root_path,
        "scheme": url.scheme,
        "query_string": url.query,
        "headers": headers,
        "client": transport.client,
        "server": [url.raw_host.decode("ascii"), port],
        "extensions": {"http.response.debug": {}, "http.response.trailers": {}},
        "state": transport.app_state.copy(),
    }


class _Exchange:
    """One request's ``receive`` and ``send``, and what the app sent back."""

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        self.sent_body = False
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.trailers_expected = False
        self.trailers: list[tuple[bytes, bytes]] = []
        self.debug: dict[str, Any] | None = None
        self.complete = anyio.Event()

    async def receive(self) -> Message:
        if self.sent_body:  # the app listens for a disconnect: none until it has answered
            await self.complete.wait()
            return {"type": "http.disconnect"}
        body = self.request.read()
        self.sent_body = True
        return {"type": "http.request", "body": body}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            assert self.status is None, 'Received multiple "http.response.start" messages.'
            self.status = message["status"]
            self.headers = [(k.decode(), v.decode()) for k, v in message.get("headers", [])]
            self.trailers_expected = message.get("trailers", False)
        elif kind == "http.response.body":
            assert self.status is not None, 'Received "http.response.body" before the start.'
            assert not self.complete.is_set(), 'Received "http.response.body" after the end.'
            self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False) and not self.trailers_expected:
                self.complete.set()
        elif kind == "http.response.trailers":
            self.trailers.extend(message.get("headers", []))
            if not message.get("more_trailers", False):
                self.complete.set()
        elif kind == "http.response.debug":
            self.debug = message["info"]


def handle_request(transport: _TestClientTransport, request: httpx.Request) -> httpx.Response:
    """Starlette's ``handle_request`` for HTTP, in one call into the portal's loop."""
    if request.url.scheme not in ("http", "https"):
        return ORIGINAL(transport, request)
    scope = _scope(transport, request)
    exchange = _Exchange(request)
    failure: list[BaseException] = []

    async def run() -> None:
        try:
            await transport.app(scope, exchange.receive, exchange.send)
        except BaseException as exc:  # handed to the test's thread below, as Starlette does
            failure.append(exc)
        finally:
            exchange.complete.set()

    with transport.portal_factory() as portal:
        portal.call(run)
    if failure and transport.raise_server_exceptions:
        raise failure[0]
    if exchange.status is None:
        if transport.raise_server_exceptions:
            raise AssertionError("TestClient did not receive any response.")
        response = httpx.Response(500, headers=[], stream=httpx.ByteStream(b""), request=request)
    else:
        body = b"" if request.method == "HEAD" else b"".join(exchange.chunks)
        response = httpx.Response(
            exchange.status,
            headers=exchange.headers,
            stream=httpx.ByteStream(body),
            request=request,
        )
    if exchange.trailers_expected:
        response.extensions["http.response.trailers"] = exchange.trailers
    if exchange.debug is not None:
        response.extensions["http.response.debug"] = exchange.debug
        if "template" in exchange.debug:
            response.template = exchange.debug["template"]  # type: ignore[attr-defined]
        if "context" in exchange.debug:
            response.context = exchange.debug["context"]  # type: ignore[attr-defined]
    return response
