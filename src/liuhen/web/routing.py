"""Every route of the web app: a response is sent only once the views it recorded are on the
ledger, and the request's thread is not held while they commit.

A page records who read what (000§18) through ``Store.record_view``, whose events many
requests share one commit (``store/group_commit.py``). A sync handler used to wait for that
commit in its own thread: a busy process needed a thread for every request in flight, and
those threads took the interpreter lock in turns, each request's reads and rendering
interleaved with the others' (p95 at twice the mean). Now the handler queues the event and
returns; the response, on the event loop, waits for the commit and only then is sent (or,
when the commit failed, the request fails: an error page, nothing read). So a process
serves its requests with a few threads (``LIUHEN_REQUEST_THREADS``), first come first
served.

Every route module makes its router with ``recorded_router()``; the app factory refuses a
route of another class (``web/app._include``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from liuhen.store.group_commit import RESPONSE_VIEWS, ReadEvent

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class RecordedRoute(APIRoute):
    """A route whose response waits for the reading events its handler recorded."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def respond(request: Request) -> Response:
            recorded: list[ReadEvent] = []
            token = RESPONSE_VIEWS.set(recorded)  # the handler's threads get a copy
            try:
                response = await handler(request)
            except Exception:  # refused after reading: its error page waits for the views too
                await committed(recorded, raising=False)
                raise
            finally:
                RESPONSE_VIEWS.reset(token)
            await committed(recorded)
            return response

        return respond


def recorded_router(**options: Any) -> APIRouter:
    """An ``APIRouter`` whose routes are ``RecordedRoute``s."""
    return APIRouter(route_class=RecordedRoute, **options)


async def committed(events: list[ReadEvent], *, raising: bool = True) -> None:
    """Wait, without a thread, until every event is done; raise the first one's error
    (unless not ``raising``: a request already failing keeps its own error)."""
    loop = asyncio.get_running_loop()
    for event in events:
        if not event.done.is_set():
            done: asyncio.Future[None] = loop.create_future()
            event.then(partial(loop.call_soon_threadsafe, _settle, done))
            await done
        if event.error is not None and raising:
            raise event.error


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
