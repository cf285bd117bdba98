"""Clean after a crash (issue 13): what each kind of leftover becomes at the next start, what a
live process keeps, and what ``leftovers`` reports (``services.archiving.recovery``)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import SYSTEM, make_case_with_files, run_cli

from liuhen.archive.verify_package import verify_package
from liuhen.errors import StorageError
from liuhen.ledger.events import Actor
from liuhen.services.archiving.packages import export_package
from liuhen.services.archiving.recovery import leftovers, recover
from liuhen.services.av.uploads import Uploads
from liuhen.store.blobs.spool import TempBlob
from liuhen.store.recovery import catch_up_checkpoint_log
from liuhen.store.scratch import scratch_dir
from liuhen.store.store import Store

ROOT = Path(__file__).resolve().parents[2]
STATION = Actor(id=None, label="采集站", roles=("custodian",))
DAY = timedelta(days=1)


def _age(path: Path, days: float = 2) -> None:
    old = time.time() - days * 86400
    os.utime(path, (old, old))


def _die_after(settings, code: str) -> None:  # type: ignore[no-untyped-def]
    """Run ``code`` with ``store`` open in a child that then dies as kill -9 leaves it."""
    script = (
        "import io, os\n"
        "from liuhen.config import Settings\n"
        "from liuhen.store.store import Store\n"
        "store = Store.open(Settings.from_env())\n"
        f"{code}\n"
        "os._exit(137)\n"
    )
    env = {
        **os.environ,
        "LIUHEN_DATA_DIR": str(settings.data_dir),
        "LIUHEN_DATABASE_URL": settings.database_url,
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 137, done.stderr


def test_a_blob_whose_row_never_committed_is_removed_and_a_registered_one_kept(store: Store):
    from liuhen.services.cases.files import store_file

    kept = store_file(store, SYSTEM, io.BytesIO(b"registered"))
    _die_after(store.settings, "store.blobs.ingest(io.BytesIO(b'orphan of a crash'))")
    orphans = set(store.blobs.iter_keys()) - {kept.sha256}
    assert len(orphans) == 1
    assert [x.kind for x in leftovers(store, timedelta(0))] == ["blob_unregistered"]

    done = recover(store)

    assert done.store.orphan_blobs == sorted(orphans)
    assert list(store.blobs.iter_keys()) == [kept.sha256]
    assert not list((Path(store.blobs.describe()) / "pending").iterdir())
    assert leftovers(store, timedelta(0)) == []


def test_an_ingest_still_running_keeps_its_blob_and_its_temp_file(sqlite_store: Store):
    info = sqlite_store.blobs.ingest(io.BytesIO(b"stored, row not yet committed"))
    with TempBlob(sqlite_store.blobs.temp_dir, durable=True):  # type: ignore[attr-defined]
        done = recover(sqlite_store)
        assert done.store.orphan_blobs == [] and done.store.temp_files == 0
    assert sqlite_store.blobs.exists(info.sha256)
    sqlite_store.blobs.settle([info.sha256])


def test_the_checkpoint_log_gets_the_checkpoints_a_crash_kept_from_it(sqlite_store: Store):
    from liuhen.services.cases.files import store_file

    for n in range(10):
        store_file(sqlite_store, SYSTEM, io.BytesIO(b"file %d" % n))
    log = sqlite_store.checkpoint_log.path
    lines = log.read_bytes().splitlines(keepends=True)
    lines = lines[:1] * 300 + lines  # a long log: only its tail is read
    whole = b"".join(lines)
    log.write_bytes(b"".join(lines[:-2]))  # killed twice between commit and append

    assert catch_up_checkpoint_log(sqlite_store) == {str(log): 2}
    assert log.read_bytes() == whole
    log.write_bytes(b"".join(lines[:-9]))  # more than crashes lose: verify's to report
    assert catch_up_checkpoint_log(sqlite_store) == {}
    log.unlink()  # a deleted log is verify's to report, never recreated here
    assert catch_up_checkpoint_log(sqlite_store) == {}
    assert not log.exists()


@pytest.fixture
def sqlite_store(sqlite_settings, clock):  # type: ignore[no-untyped-def]
    from liuhen.services.admin.setup import initialise

    initialise(sqlite_settings, admin_password=ADMIN_PASSWORD, clock=clock)
    s = Store.open(sqlite_settings, clock=clock)
    yield s
    s.close()


@pytest.fixture
def case(sqlite_store: Store, tmp_path: Path) -> str:
    return make_case_with_files(sqlite_store, tmp_path)["case"]


def _export_dying_in_seal(store: Store, case: str, out: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from liuhen.archive.package import PackageWriter

    def killed(self, record):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # stands for the kill: after the event, before the rename

    monkeypatch.setattr(PackageWriter, "seal", killed)
    with pytest.raises(KeyboardInterrupt):
        export_package(store, SYSTEM, case, out)
    monkeypatch.undo()


def test_an_export_stopped_after_its_event_is_completed_at_the_next_start(
    sqlite_store: Store, case: str, tmp_path: Path, monkeypatch
):
    out = tmp_path / "pkg"
    _export_dying_in_seal(sqlite_store, case, out, monkeypatch)
    [partial] = [p for p in tmp_path.iterdir() if p.name.startswith(".pkg.partial-")]
    assert not out.exists()

    done = recover(sqlite_store)

    assert "已补全中断的导出" in done.exports[0]
    assert not partial.exists()
    report = verify_package(out)
    assert report.ok, report.problems
    assert leftovers(sqlite_store, timedelta(0)) == []


def test_an_export_event_whose_package_cannot_be_completed_is_reported_at_any_age(
    sqlite_store: Store, case: str, tmp_path: Path, monkeypatch
):
    import shutil

    out = tmp_path / "pkg"
    _export_dying_in_seal(sqlite_store, case, out, monkeypatch)
    [partial] = [p for p in tmp_path.iterdir() if p.name.startswith(".pkg.partial-")]
    shutil.rmtree(partial)

    done = recover(sqlite_store)
    again = recover(sqlite_store)  # reported again at every start, never dropped

    assert "没有对应的完整归档包" in done.exports[0] and again.exports == done.exports
    [left] = leftovers(sqlite_store)  # a day's grace does not hide it
    assert left.kind == "export_incomplete" and "导出事件 #" in left.message


def test_an_export_stopped_before_its_event_leaves_nothing(
    sqlite_store: Store, case: str, tmp_path: Path
):
    from liuhen.services.archiving.package_ledger import export_journal_dir

    _die_after(
        sqlite_store.settings,
        "from liuhen.archive.package import PackageWriter\n"
        "from liuhen.archive.export_journal import ExportJournal\n"
        "from liuhen.services.archiving.package_ledger import export_journal_dir\n"
        f"pkg = PackageWriter(__import__('pathlib').Path({str(tmp_path / 'pkg')!r}),"
        " journal=ExportJournal(export_journal_dir(store.settings)), case_id='x')\n"
        "pkg.add_bytes('evidence-copy.bin', b'a copy of evidence')",
    )
    [partial] = [p for p in tmp_path.iterdir() if p.name.startswith(".pkg")]
    assert partial.name.startswith(".pkg.partial-")
    [left] = leftovers(sqlite_store, timedelta(0))
    assert left.kind == "export_partial"

    recover(sqlite_store)

    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pkg")]
    assert not list(export_journal_dir(sqlite_store.settings).iterdir())


def test_a_failed_export_before_its_event_removes_its_folder_and_journal_entry(
    sqlite_store: Store, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from liuhen.services.archiving import packages
    from liuhen.services.archiving.package_ledger import export_journal_dir

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise StorageError("磁盘坏了")

    monkeypatch.setattr(packages, "_copy_files", broken)
    with pytest.raises(StorageError):
        export_package(sqlite_store, SYSTEM, case, tmp_path / "pkg")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pkg")]
    assert not list(export_journal_dir(sqlite_store.settings).iterdir())


def _upload(store: Store, data: bytes, sent: int) -> str:
    uploads = Uploads(store)
    info = uploads.create(STATION, length=len(data), metadata={"filename": "DSJ-1.mp4"})
    if sent:
        patch = uploads.open_patch(STATION, info.id, 0)
        patch.write(data[:sent])
        patch.close()
    return info.id


def test_upload_staging_no_upload_refers_to_goes_and_a_paused_upload_stays(
    sqlite_store: Store,
):
    folder = sqlite_store.settings.uploads_dir
    paused = _upload(sqlite_store, b"x" * 100, 40)
    folder.joinpath("0123456789abcdef.part").write_bytes(b"killed before its info")
    ghost = "fedcba9876543210"  # info written, its start event never committed
    info = json.loads((folder / f"{paused}.json").read_text("utf-8")) | {"id": ghost}
    (folder / f"{ghost}.json").write_text(json.dumps(info), "utf-8")
    (folder / f"{ghost}.part").write_bytes(b"")
    (folder / f"{paused}.json.tmp").write_text("{", "utf-8")

    done = recover(sqlite_store)

    assert len(done.uploads) == 2, done.uploads
    assert sorted(p.name for p in folder.iterdir()) == [f"{paused}.json", f"{paused}.part"]
    assert Uploads(sqlite_store).get(STATION, paused)[1] == 40  # resumable where it stopped


def test_an_ingest_cut_short_is_put_back_to_be_resumed(sqlite_store: Store):
    folder = sqlite_store.settings.uploads_dir
    upload = _upload(sqlite_store, b"y" * 64, 64)
    aside = folder / f"{upload}.d"
    aside.mkdir()
    os.replace(folder / f"{upload}.part", aside / "DSJ-1.mp4")  # as _ingest does

    done = recover(sqlite_store)

    assert "已放回暂存区" in done.uploads[0]
    assert not aside.exists()
    assert Uploads(sqlite_store).get(STATION, upload)[1] == 64
    aside.mkdir()  # killed between making the folder and moving the file into it
    assert recover(sqlite_store).uploads == [] and not aside.exists()


def test_an_upload_being_written_is_left_alone(sqlite_store: Store):
    import fcntl

    folder = sqlite_store.settings.uploads_dir
    upload = _upload(sqlite_store, b"z" * 10, 0)
    (folder / f"{upload}.json").unlink()  # looks abandoned, but a request holds it
    fd = os.open(folder / f"{upload}.part", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert recover(sqlite_store).uploads == []
        assert (folder / f"{upload}.part").exists()
    finally:
        os.close(fd)
    assert len(recover(sqlite_store).uploads) == 1


def test_leftovers_are_what_is_older_than_asked_and_reading_them_removes_nothing(
    sqlite_store: Store,
):
    temp = sqlite_store.blobs.temp_dir  # type: ignore[attr-defined]
    temp.mkdir(parents=True, exist_ok=True)
    old, new = temp / "ingest-old.part", temp / "ingest-new.part"
    old.write_bytes(b"1")
    new.write_bytes(b"2")
    _age(old)
    with scratch_dir(sqlite_store.settings, "copy"):
        abandoned = sqlite_store.settings.data_dir / "tmp" / "copy-left"  # an older version's
        abandoned.mkdir()
        _age(abandoned)

        found = {(x.kind, Path(x.where).name) for x in leftovers(sqlite_store)}

        assert found == {("blob_temp", "ingest-old.part"), ("scratch", "copy-left")}
        assert old.exists() and abandoned.exists()
        done = recover(sqlite_store)
        assert done.scratch == [str(abandoned)] and done.store.temp_files == 2
        held = list((sqlite_store.settings.data_dir / "tmp").iterdir())
        assert len(held) == 1 and held[0].name.startswith("scratch-copy-")


def test_every_command_recovers_at_start_but_verify_only_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    env = {"LIUHEN_DATA_DIR": str(tmp_path / "data"), "LIUHEN_ENV": "test"}
    for k, v in {**env, "LIUHEN_ADMIN_PASSWORD": ADMIN_PASSWORD}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("LIUHEN_STORE_URL", raising=False)
    assert run_cli(["init", "--json"]).code == 0
    stray = tmp_path / "data" / "blobs" / "tmp" / "ingest-killed.part"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"half")

    assert run_cli(["verify", "--json"]).code == 0  # a day's grace: a live write may own it
    assert stray.exists()  # verify reads only
    _age(stray)
    late = run_cli(["verify", "--json"])
    assert late.code == 1 and stray.exists()
    assert [(p["kind"], p["object"]) for p in late.json()["problems"]] == [
        ("crash_blob_temp", str(stray))
    ]
    with caplog.at_level(logging.WARNING, logger="liuhen.recovery"):
        listed = run_cli(["cases", "--json"])
    assert listed.code == 0 and not stray.exists()
    assert caplog.messages == [f"已删除中断写入留下的临时文件 {stray}"]
