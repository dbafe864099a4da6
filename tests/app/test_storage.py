"""app/storage.py on its own: stored names, keys that cannot leave the folder, and files that
follow the transaction of the write (kept on commit, gone on rollback; removed only once a
delete commits), on disk and in `file_blob` (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.storage import DatabaseStorage, DiskStorage, FileBlob, new_key, storage_from_config


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Any]:
    engine = create_engine(database_url)
    FileBlob.__table__.create(engine, checkfirst=True)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Any) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def stored(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


# -- names --------------------------------------------------------------------------------
def test_the_stored_name_is_generated_and_keeps_only_a_plain_extension() -> None:
    key = new_key("承诺函（盖章）.PDF")
    assert key.endswith(".pdf") and len(key) == 32 + 4 and "承诺" not in key
    assert new_key("承诺函") != new_key("承诺函")
    assert "." not in new_key("报告.tar gz")  # not alphanumeric: no extension
    assert "." not in new_key("x." + "a" * 10)  # longer than ten characters with its dot


@pytest.mark.parametrize("key", ["", "../secret", "a/b", "a\\b", ".hidden"])
def test_keys_that_could_leave_the_folder_are_refused(tmp_path: Path, key: str) -> None:
    storage = DiskStorage(str(tmp_path), session=lambda: None)
    with pytest.raises(FileNotFoundError):
        storage.open(key)
    with pytest.raises(FileNotFoundError):
        storage.delete(key)


# -- on disk ------------------------------------------------------------------------------
def test_outside_a_transaction_a_file_is_saved_and_deleted_at_once(tmp_path: Path) -> None:
    storage = DiskStorage(str(tmp_path), session=lambda: None)
    key, size = storage.save(io.BytesIO(b"%PDF-1.4 x"), "承诺函.pdf")
    assert size == 10
    assert (tmp_path / key[:2] / key).read_bytes() == b"%PDF-1.4 x"  # spread over folders
    with storage.open(key) as fh:
        assert fh.read() == b"%PDF-1.4 x"
    storage.delete(key)
    assert stored(tmp_path) == []
    storage.delete(key)  # already gone: nothing to do


def test_a_file_saved_in_a_transaction_that_rolls_back_is_removed(
        tmp_path: Path, session: Session) -> None:
    storage = DiskStorage(str(tmp_path), session=lambda: session)
    key, _size = storage.save(io.BytesIO(b"data"), "a.pdf")
    assert stored(tmp_path) == [key]  # written at once, decided at the transaction's end
    session.rollback()
    assert stored(tmp_path) == []


def test_a_file_saved_in_a_transaction_that_commits_stays(tmp_path: Path,
                                                          session: Session) -> None:
    storage = DiskStorage(str(tmp_path), session=lambda: session)
    key, _size = storage.save(io.BytesIO(b"data"), "a.pdf")
    session.commit()
    session.rollback()  # a later transaction's end does not touch it
    assert stored(tmp_path) == [key]


def test_a_delete_waits_for_the_commit_and_a_rollback_keeps_the_file(
        tmp_path: Path, session: Session) -> None:
    storage = DiskStorage(str(tmp_path), session=lambda: None)
    key, _size = storage.save(io.BytesIO(b"data"), "a.pdf")
    storage.session = lambda: session
    session.connection()  # a write is under way
    storage.delete(key)
    assert stored(tmp_path) == [key]
    session.rollback()  # the write that deleted it did not happen
    assert stored(tmp_path) == [key]
    session.connection()
    storage.delete_in(session.connection(), key)
    assert stored(tmp_path) == [key]
    session.commit()
    assert stored(tmp_path) == []


def test_a_savepoint_that_rolls_back_leaves_the_decision_to_the_outer_transaction(
        tmp_path: Path, session: Session) -> None:
    storage = DiskStorage(str(tmp_path), session=lambda: session)
    session.connection()
    nested = session.begin_nested()
    key, _size = storage.save(io.BytesIO(b"data"), "a.pdf")
    nested.rollback()
    assert stored(tmp_path) == [key]
    session.commit()
    assert stored(tmp_path) == [key]


# -- in the database ----------------------------------------------------------------------
def test_database_files_live_and_die_with_the_transaction(session: Session) -> None:
    storage = DatabaseStorage(session=lambda: session)
    kept, size = storage.save(io.BytesIO(b"%PDF-kept"), "留存.pdf")
    assert size == 9
    session.commit()
    lost, _size = storage.save(io.BytesIO(b"%PDF-lost"), "丢弃.pdf")
    assert storage.open(lost).read() == b"%PDF-lost"  # visible inside its transaction
    session.rollback()
    with pytest.raises(FileNotFoundError):
        storage.open(lost)
    assert storage.open(kept).read() == b"%PDF-kept"
    storage.delete(kept)
    session.rollback()
    assert storage.open(kept).read() == b"%PDF-kept"
    storage.delete_in(session.connection(), kept)
    session.commit()
    with pytest.raises(FileNotFoundError):
        storage.open(kept)
    with pytest.raises(FileNotFoundError):
        storage.open("../x")


def test_database_storage_needs_a_session() -> None:
    with pytest.raises(RuntimeError, match="needs an application context"):
        DatabaseStorage(session=lambda: None).save(io.BytesIO(b""), "a.pdf")


# -- configuration ------------------------------------------------------------------------
def test_the_configuration_chooses_the_storage(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    disk = storage_from_config({"ADMIN_UPLOAD_FOLDER": str(folder)})
    assert isinstance(disk, DiskStorage) and disk.folder == str(folder) and folder.is_dir()
    assert isinstance(storage_from_config({"ADMIN_FILE_STORAGE": "database"}),
                      DatabaseStorage)
    with pytest.raises(ValueError, match="must be 'disk', 'database' or 's3', not 'ftp'"):
        storage_from_config({"ADMIN_FILE_STORAGE": "ftp", "ADMIN_UPLOAD_FOLDER": str(folder)})
