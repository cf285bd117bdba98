"""Reading a record's file is logged, whole or by range."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.errors import InvalidInput, NotFound


def test_whole_and_ranged_reads_are_ledger_events(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    from liuhen.services.downloads import read_record_file

    whole = read_record_file(store, SYSTEM, ids["record"], 1)
    data = b"".join(whole.chunks)
    assert data.decode("utf-8") == "现场检查笔录：店外堆放货架。" and whole.size == len(data)
    part = read_record_file(store, SYSTEM, ids["record"], 1, (3, 8))
    assert b"".join(part.chunks) == data[3:9] and (part.start, part.end) == (3, 8)
    with store.read() as conn:
        reads = conn.execute(
            text("SELECT payload FROM ledger_events WHERE action = 'record.file_read'")
        ).all()
    assert len(reads) == 2


def test_bad_range_and_missing_file_are_refused(store, tmp_path):
    ids = make_case_with_files(store, tmp_path)
    from liuhen.services.downloads import read_record_file

    with pytest.raises(InvalidInput, match="Range"):
        read_record_file(store, SYSTEM, ids["record"], 1, (10_000, None))
    with pytest.raises(NotFound):
        read_record_file(store, SYSTEM, ids["record"], 7)
