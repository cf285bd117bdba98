"""``liuhen serve --workers N``: N server processes, and this one dealing them connections.

Uvicorn's own way lets every worker accept from one shared socket, and a browser keeps its
connection for minutes. Whichever worker woke first took every connection waiting: twenty
people signing in together all landed on one process in about half the page benchmark's
runs, that process at full load and the other idle (half the throughput, twice the
latency; ``bench/bench_web.py`` prints the connections each process holds). Here this
process holds the listening socket alone, accepts each connection and passes it
(``SCM_RIGHTS``) to the worker holding the fewest open ones; a worker says when one closes.
Each worker is a uvicorn server without a socket of its own (``serve(sockets=[])``) that
serves the connections it is handed; one that dies is started again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import selectors
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from liuhen.errors import ConfigError

log = logging.getLogger(__name__)
CLOSED = b"-"  # a worker's word that one of its connections closed
STOP_SECONDS = 30


@dataclass
class Worker:
    """One worker process, its end of the channel, and how many connections it holds."""

    process: BaseProcess
    channel: socket.socket
    open: int = 0
    closed: bool = False


def serve(options: dict[str, Any], workers: int) -> None:
    """Listen as ``options`` (uvicorn ``Config`` keywords) say and run ``workers`` worker
    processes of its app until SIGINT or SIGTERM; then stop them (each finishes the
    requests it has) and return."""
    config = uvicorn.Config(**options)
    listener = config.bind_socket()  # bound; uvicorn's workers would each listen on it
    listener.listen(config.backlog)
    listener.setblocking(False)
    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _frame: stopping.append(number))
    team = [_start(options) for _ in range(workers)]
    try:
        _run(listener, team, options, stopping)
    finally:
        listener.close()
        _stop(team)


def _run(
    listener: socket.socket, team: list[Worker], options: dict[str, Any], stopping: list[int]
) -> None:
    """Deal connections, hear of closed ones, start again a worker that died; until a
    signal arrives."""
    with selectors.DefaultSelector() as selector:
        selector.register(listener, selectors.EVENT_READ)
        for worker in team:
            selector.register(worker.channel, selectors.EVENT_READ, worker)
        while not stopping:
            for key, _ in selector.select(0.5):
                if key.data is None:
                    _deal(listener, team)
                else:
                    _hear(key.data)
            if stopping:  # a stop signal sent to the whole group (systemd) ends workers too
                return
            for n, worker in enumerate(team):
                if worker.closed or not worker.process.is_alive():
                    selector.unregister(worker.channel)
                    team[n] = _restart(worker, options)
                    selector.register(team[n].channel, selectors.EVENT_READ, team[n])


def _restart(worker: Worker, options: dict[str, Any]) -> Worker:
    worker.process.join(5)
    worker.channel.close()
    if worker.process.exitcode == STARTUP_FAILURE:  # the app itself cannot start: stop
        raise ConfigError("网页服务进程无法启动（见上方日志），已停止")
    log.warning("服务进程 %s 已退出（%s），重新启动", worker.process.pid, worker.process.exitcode)
    return _start(options)


def _start(options: dict[str, Any]) -> Worker:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_work, args=(options, theirs), daemon=False)
    process.start()
    theirs.close()
    ours.setblocking(False)
    return Worker(process, ours)


def _deal(listener: socket.socket, team: list[Worker]) -> None:
    """Accept every connection waiting; each goes to the worker holding the fewest."""
    while True:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # out of descriptors, say: the next round tries again
            log.warning("accept failed: %s", exc)
            return
        with conn:
            for worker in sorted(team, key=lambda w: w.open):
                if worker.closed:
                    continue
                try:
                    socket.send_fds(worker.channel, [b"+"], [conn.fileno()])
                except BlockingIOError:  # it has not taken those dealt it yet: the next
                    continue
                except OSError:  # the worker is gone: it is started again, try the next
                    worker.closed = True
                    continue
                worker.open += 1
                break


def _hear(worker: Worker) -> None:
    try:
        data = worker.channel.recv(4096)
    except BlockingIOError:
        return
    except OSError:
        data = b""
    if not data:
        worker.closed = True
        return
    worker.open = max(0, worker.open - data.count(CLOSED))


def _stop(team: list[Worker]) -> None:
    for worker in team:
        if worker.process.is_alive() and worker.process.pid is not None:
            os.kill(worker.process.pid, signal.SIGTERM)
    for worker in team:
        worker.process.join(STOP_SECONDS)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.channel.close()


# -- in a worker process ----------------------------------------------------------------


def _work(options: dict[str, Any], channel: socket.socket) -> None:
    """A worker: a uvicorn server with no socket of its own, serving what it is handed."""
    config = uvicorn.Config(**options)
    server = uvicorn.Server(config)  # stops on SIGTERM (from the parent) or SIGINT (Ctrl+C)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve(server, channel))


async def _serve(server: uvicorn.Server, channel: socket.socket) -> None:
    serving = asyncio.create_task(server.serve(sockets=[]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if serving.done():  # the app did not start
        await serving
        return
    loop = asyncio.get_running_loop()
    channel.setblocking(False)
    loop.add_reader(channel.fileno(), _take, loop, server, channel, _protocols(server, channel))
    try:
        await serving
    finally:
        loop.remove_reader(channel.fileno())
        channel.close()


def _take(
    loop: asyncio.AbstractEventLoop,
    server: uvicorn.Server,
    channel: socket.socket,
    protocol: Callable[[], asyncio.Protocol],
) -> None:
    """Serve the connections the parent has passed (as many as have arrived)."""
    try:
        data, fds, _, _ = socket.recv_fds(channel, 256, 256)
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        data, fds = b"", []
    if not data:
        server.should_exit = True  # the parent is gone: finish what is open, then stop
        loop.remove_reader(channel.fileno())
        return
    for fd in fds:
        task = loop.create_task(_adopt(loop, protocol, channel, socket.socket(fileno=fd)))
        _ADOPTING.add(task)  # (the loop keeps only a weak reference to a task)
        task.add_done_callback(_ADOPTING.discard)


_ADOPTING: set[asyncio.Task[None]] = set()


async def _adopt(
    loop: asyncio.AbstractEventLoop,
    protocol: Callable[[], asyncio.Protocol],
    channel: socket.socket,
    conn: socket.socket,
) -> None:
    try:
        await loop.connect_accepted_socket(protocol, conn)
    except OSError:  # the client went before it was served: its place is free again
        conn.close()
        _closed(channel)


def _protocols(server: uvicorn.Server, channel: socket.socket) -> Callable[[], asyncio.Protocol]:
    """Uvicorn's HTTP protocol as its own server makes it, telling the parent when the
    connection closes."""
    config = server.config

    def protocol() -> asyncio.Protocol:
        made: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=server.server_state, app_state=server.lifespan.state
        )
        lost = made.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            lost(exc)
            _closed(channel)

        made.connection_lost = connection_lost  # type: ignore[method-assign]
        return made

    return protocol


def _closed(channel: socket.socket) -> None:
    """Tell the parent that one of this worker's connections has closed."""
    try:
        channel.send(CLOSED)
    except OSError:
        pass  # the parent is gone (this worker stops), or its buffer is full: the count drifts
