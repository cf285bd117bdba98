"""The suite's one-trip test transport (``tests/asgi_transport.py``) answers as Starlette's
own does: the same status, headers and body for a page, a streamed body, a HEAD request and
a request body; the app's exception raised in the test (or a 500 when the client is told not
to raise); a streamed response that listens for the client's disconnect is not cut short."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient, _TestClientTransport
from tests import asgi_transport


async def page(request: Request) -> PlainTextResponse:
    seen = f"页面 {request.url} {request.headers.get('x-asked')} {request.client}"
    return PlainTextResponse(seen, headers={"X-Kind": "page"})


async def echo(request: Request) -> PlainTextResponse:
    body = await request.body()
    return PlainTextResponse(body.decode()[::-1], status_code=201)


async def stream(request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(5):
            await anyio.sleep(0.001)  # the disconnect listener runs meanwhile
            yield f"块{i};".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def broken(request: Request) -> PlainTextResponse:
    raise RuntimeError("坏了")


APP = Starlette(
    routes=[
        Route("/page", page, methods=["GET", "HEAD"]),
        Route("/echo", echo, methods=["POST"]),
        Route("/stream", stream),
        Route("/broken", broken),
    ]
)


def _answers(client: TestClient) -> list[tuple[Any, ...]]:
    got = []
    for method, path, body in [
        ("GET", "/page?a=1&b=%E6%A1%88", None),
        ("HEAD", "/page", None),
        ("POST", "/echo", b"abc123"),
        ("GET", "/stream", None),
        ("GET", "/missing", None),
    ]:
        r = client.request(method, path, content=body, headers={"X-Asked": "yes"})
        headers = sorted((k, v) for k, v in r.headers.items())
        got.append((method, path, r.status_code, headers, r.content))
    return got


@pytest.fixture
def both() -> Iterator[tuple[TestClient, TestClient]]:
    """Two clients of ``APP`` on one portal, Starlette's transport and the suite's."""
    with TestClient(APP) as theirs, TestClient(APP) as ours:
        ours._transport.handle_request = (  # type: ignore[attr-defined,method-assign]
            lambda request: asgi_transport.handle_request(ours._transport, request)  # type: ignore[attr-defined]
        )
        theirs._transport.handle_request = (  # type: ignore[attr-defined,method-assign]
            lambda request: asgi_transport.ORIGINAL(theirs._transport, request)  # type: ignore[attr-defined]
        )
        yield theirs, ours


def test_the_same_answers_as_starlettes_transport(both: tuple[TestClient, TestClient]) -> None:
    theirs, ours = both
    expected = _answers(theirs)
    assert _answers(ours) == expected
    assert expected[3][4] == "块0;块1;块2;块3;块4;".encode()  # the whole stream, not cut short
    assert expected[1][4] == b""
    assert expected[0][4].decode().startswith("页面 http://testserver/page?a=1&b=%E6%A1%88 yes")


def test_the_apps_exception_is_raised_in_the_test(both: tuple[TestClient, TestClient]) -> None:
    for client in both:
        with pytest.raises(RuntimeError, match="坏了"):
            client.get("/broken")


def test_told_not_to_raise_the_client_gets_a_500() -> None:
    with TestClient(APP, raise_server_exceptions=False) as client:
        transport = client._transport  # type: ignore[attr-defined]
        response = asgi_transport.handle_request(transport, client.build_request("GET", "/broken"))
        assert response.status_code == 500


def test_the_suite_runs_with_the_one_trip_transport() -> None:
    """The session's fixture (``one_portal_for_test_clients``) installed it."""
    assert _TestClientTransport.handle_request is asgi_transport.handle_request
