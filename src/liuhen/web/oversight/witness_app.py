"""The HTTP face of ``liuhen witness serve``: C2SP tlog-witness ``POST /add-checkpoint``,
plus ``GET /liuhen/log?origin=`` (what the witness holds for a log), ``POST /liuhen/rotate``
(a key rotation statement) and ``GET /`` (the witness's vkey). A separate small app: a
witness needs no database, no sign-in and no pages; every request is judged by signatures."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from liuhen.services.oversight.witness_server import Answer, WitnessServer

MAX_BODY = 64 * 1024


def create_witness_app(server: WitnessServer) -> Starlette:
    async def body_of(request: Request) -> bytes | None:
        data = b""
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_BODY:
                return None
        return data

    def reply(answer: Answer) -> Response:
        return Response(answer.body, answer.status, media_type=answer.content_type)

    async def add_checkpoint(request: Request) -> Response:
        body = await body_of(request)
        if body is None:
            return PlainTextResponse("请求过大\n", 413)
        return reply(server.add_checkpoint(body))

    async def log_state(request: Request) -> Response:
        origin = request.query_params.get("origin", "")
        return reply(server.log_state(origin))

    async def rotate(request: Request) -> Response:
        body = await body_of(request)
        if body is None:
            return PlainTextResponse("请求过大\n", 413)
        return reply(server.rotate_key(body))

    async def index(request: Request) -> Response:
        return PlainTextResponse(server.vkey + "\n")

    return Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/liuhen/log", log_state, methods=["GET"]),
            Route("/liuhen/rotate", rotate, methods=["POST"]),
        ]
    )
