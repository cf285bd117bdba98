"""The people of ``test_cluster_load``: each signs in once and works through the web forms
(or a docking station through the tus API) on both nodes of the cluster, as a load balancer
would spread their requests, until the load's deadline, each at its own steady pace
(``paced``: a township's day compressed, not a flood; flat out, the four loops kept both
cores of a CI machine busy for the whole minute and the rest of the suite waited). Every answer goes into a ``Tally``;
the races (one approval decided, one record corrected, one file uploaded through both nodes
at once) also keep their pairs of answers for the test to judge."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from liuhen.services.av.upload_staging import encode_metadata

TUS = {"Tus-Resumable": "1.0.0"}
TZ = ZoneInfo("Asia/Shanghai")
DECIDE = re.compile(r'action="/approvals/([0-9a-f]+)/decide"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Tally:
    """Every answer by what was asked, the 5xx ones in full, and the races' pairs."""

    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    races: dict[str, list[list[Answer]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str, answer: Answer) -> None:
        with self.lock:
            self.answers[(what, answer.status)] += 1
            if answer.status >= 500:
                self.failures.append(f"{what} → {answer.status}: {answer.text[:400]}")

    def race(self, what: str, pair: list[Answer]) -> None:
        with self.lock:
            self.races.setdefault(what, []).append(pair)

    def count(self, what: str, status: int) -> int:
        return self.answers[(what, status)]


class Person:
    """One signed-in user (a session cookie valid on every node: sessions are in the
    database), or a docking station (its bearer token)."""

    def __init__(self, tally: Tally, ports: list[int], token: str | None = None) -> None:
        self.tally, self.ports = tally, ports
        self.cookies: dict[str, str] = {}
        self.token = token
        self.csrf = ""

    def send(
        self, node: int, method: str, path: str, what: str, body: bytes = b"", **headers: str
    ) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[node % 2], timeout=120)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        conn.request(method, path, body=body, headers=headers)
        raw = conn.getresponse()
        answer = Answer(
            raw.status,
            {k.lower(): v for k, v in raw.getheaders()},
            raw.read().decode("utf-8", "replace"),
        )
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
        conn.close()
        self.tally.note(what, answer)
        return answer

    def post(self, node: int, path: str, what: str, form: dict[str, Any]) -> Answer:
        body = urlencode({**form, "csrf": self.csrf}, doseq=True).encode()
        kind = "application/x-www-form-urlencoded"
        return self.send(node, "POST", path, what, body, **{"Content-Type": kind})

    def sign_in(self, username: str, password: str) -> None:
        page = self.send(0, "GET", "/login", "sign-in")
        token = CSRF.search(page.text)
        assert token is not None, page.text[:500]
        self.csrf = token.group(1)
        done = self.post(0, "/login", "sign-in", {"username": username, "password": password})
        assert done.status == 303, done.text[:500]
        token = CSRF.search(self.send(1, "GET", "/cases", "sign-in").text)  # the other node
        assert token is not None, "not signed in on the second node"
        self.csrf = token.group(1)

    def twin(self) -> Person:
        """The same session, for the second of two requests sent at once."""
        other = Person(self.tally, self.ports, self.token)
        other.cookies, other.csrf = dict(self.cookies), self.csrf
        return other


def at_once(*calls: Callable[[], Answer]) -> list[Answer]:
    """Each call in its own thread, let go together; their answers in order."""
    ready = threading.Barrier(len(calls))
    answers: list[Answer | None] = [None] * len(calls)

    def run(i: int) -> None:
        ready.wait(timeout=30)
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a is not None for a in answers), "a request of a race raised"
    return answers  # type: ignore[return-value]


ACT_EVERY = 0.4
"""Seconds between two acts recorded (about 150 in the minute, spread over both nodes)."""
RACE_EVERY = 0.8
"""Seconds between two rounds of a race loop (a review asked and decided through both nodes
at once; a version corrected through both at once; a file uploaded twice)."""


def paced(until: float, every: float) -> Iterator[int]:
    """0, 1, 2 … one every ``every`` seconds (a round that took longer starts the next at
    once), until ``until`` (``time.monotonic``)."""
    n, due = 0, time.monotonic()
    while (now := time.monotonic()) < until:
        if now < due:
            time.sleep(min(due - now, until - now))
            continue
        yield n
        n, due = n + 1, max(due + every, now)


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def record_acts(officer: Person, cases: list[str], people: list[str], until: float) -> None:
    """Acts on the cases, one after another, through either node."""
    for n in paced(until, ACT_EVERY):
        start = datetime.now(TZ) - timedelta(hours=20) + timedelta(minutes=n)
        form = {
            "kind": "inspection",
            "place": "东街1号",
            "started_at": _local(start),
            "ended_at": _local(start + timedelta(minutes=30)),
            "officer_ids": people,
            "certificates_shown": "yes",
        }
        officer.post(n, f"/cases/{cases[n % len(cases)]}/acts/new", "act", form)


def decide_at_once(officer: Person, reviewer: Person, cases: list[str], until: float) -> None:
    """The officer asks for a legal review; the reviewer's two requests (one to each node)
    decide it at the same moment."""
    for n in paced(until, RACE_EVERY):
        form = {"kind": "legal_review", "opinion": f"拟罚款，请法制审核（{n}）"}
        officer.post(n, f"/cases/{cases[n % len(cases)]}/approvals/new", "ask", form)
        inbox = reviewer.send(n + 1, "GET", "/approvals", "inbox").text
        twin = reviewer.twin()
        for approval in dict.fromkeys(DECIDE.findall(inbox)):
            path = f"/approvals/{approval}/decide"
            form = {"position": "legal_reviewer", "decision": "approved", "opinion": "同意"}
            form["final"] = "1"
            pair = at_once(
                partial(reviewer.post, 0, path, "decide", form),
                partial(twin.post, 1, path, "decide", form),
            )
            reviewer.tally.race("decide", pair)


def correct_at_once(officer: Person, case: str, until: float) -> None:
    """A document of the case, then each of its versions corrected through both nodes at
    the same moment: the version that won is the next one corrected."""
    made = _local(datetime.now(TZ) - timedelta(hours=1))
    doc = officer.post(0, f"/cases/{case}/documents/new", "document", _document(made))
    assert doc.status == 303, doc.text[:500]
    current = doc.location.rsplit("#record-", 1)[1]
    twin = officer.twin()
    for n in paced(until, RACE_EVERY):
        path = f"/cases/{case}/records/{current}/correct"
        form = {**_document(made), "reason": f"更正笔误（{n}）"}
        pair = at_once(
            partial(officer.post, 0, path, "correct", form),
            partial(twin.post, 1, path, "correct", form),
        )
        officer.tally.race("correct", pair)
        won = [a.location.rsplit("#record-", 1)[1] for a in pair if a.status == 303]
        current = won[0] if won else current


def _document(made: str) -> dict[str, str]:
    return {"kind": "other", "title": "情况说明", "made_at": made}


def upload_twice(station: Person, videos: list[tuple[str, bytes]], until: float) -> None:
    """Each file uploaded twice at once, both through both nodes: one upload started on
    node A and finished on node B, the other the other way round."""
    for (name, data), _ in zip(videos, paced(until, RACE_EVERY), strict=False):
        urls = [_create(station, node, name, len(data)) for node in (0, 1)]
        half = len(data) // 2
        for node, url in enumerate(urls):
            first = _patch(station, node, url, 0, data[:half])
            assert first.status == 204, (first.status, first.text[:300])
        pair = at_once(
            partial(_patch, station, 1, urls[0], half, data[half:]),
            partial(_patch, station, 0, urls[1], half, data[half:]),
        )
        station.tally.race("upload", pair)


def _create(station: Person, node: int, name: str, size: int) -> str:
    meta = encode_metadata({"filename": name})
    made = station.send(
        node,
        "POST",
        "/api/uploads",
        "upload",
        **TUS,
        **{"Upload-Length": str(size), "Upload-Metadata": meta},
    )
    assert made.status == 201, (made.status, made.text[:300])
    return made.headers["location"]


def _patch(station: Person, node: int, url: str, offset: int, data: bytes) -> Answer:
    headers = {**TUS, "Upload-Offset": str(offset)}
    headers["Content-Type"] = "application/offset+octet-stream"
    return station.send(node, "PATCH", url, "upload", data, **headers)
