"""Reading a record's file is logged, whole or by range."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.errors import InvalidInput, NotFound


def reads(store):
    with store.read() as conn:
        rows = conn.execute(
            text("SELECT payload FROM ledger_events WHERE action = 'record.file_read'")
        ).all()
    return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


def test_whole_and_ranged_reads_are_ledger_events(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    from liuhen.services.access.downloads import read_record_file

    whole = read_record_file(store, SYSTEM, ids["record"], 1)
    data = b"".join(whole.chunks)
    assert data.decode("utf-8") == "现场检查笔录：店外堆放货架。" and whole.size == len(data)
    part = read_record_file(store, SYSTEM, ids["record"], 1, (3, 8))
    assert b"".join(part.chunks) == data[3:9] and (part.start, part.end) == (3, 8)
    assert [r["mode"] for r in reads(store)] == ["read"]  # the range is within that read
    read_record_file(store, SYSTEM, ids["record"], 1, download=True)
    assert [r["mode"] for r in reads(store)] == ["read", "download"]


def test_a_playback_is_one_event_however_many_ranges_it_reads(store, tmp_path, clock):
    ids = make_case_with_files(store, tmp_path)
    from liuhen.services.access.downloads import PLAYBACK_WINDOW, read_record_file

    for byte_range in ((0, None), (0, None), (5, None), (9, 12), (2, None)):
        read_record_file(store, SYSTEM, ids["record"], 1, byte_range)
    assert [(r["mode"], r["range"][0]) for r in reads(store)] == [("play", 0)]
    clock.advance(seconds=60)
    read_record_file(store, SYSTEM, ids["record"], 1, (0, None))  # played again: a new event
    assert len(reads(store)) == 2
    clock.advance(seconds=PLAYBACK_WINDOW.total_seconds() + 1)
    read_record_file(store, SYSTEM, ids["record"], 1, (7, None))  # no byte 0: still logged
    assert [(r["mode"], r["range"][0]) for r in reads(store)][-1] == ("play", 7)


def test_bad_range_and_missing_file_are_refused(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    from liuhen.services.access.downloads import read_record_file

    with pytest.raises(InvalidInput, match="Range"):
        read_record_file(store, SYSTEM, ids["record"], 1, (10_000, None))
    with pytest.raises(NotFound):
        read_record_file(store, SYSTEM, ids["record"], 7)
