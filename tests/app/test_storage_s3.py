"""app/storage_s3.py against a local S3 (moto's server mode, over HTTP like a real service):
objects follow the transaction of the write, missing keys are FileNotFoundError, the
configuration chooses the bucket, and a form upload downloads again through the bucket
(SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.storage import FileBlob, storage_from_config
from app.storage_s3 import S3Storage
from tests.conftest import apply_schema, dispose, ensure_admin, make_app, sign_in

BUCKET = "yaoxian-uploads"


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, Any]]:
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "test")  # moto accepts any; boto3 needs some
        env.setenv("AWS_SECRET_ACCESS_KEY", "test")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        config = {"ADMIN_FILE_STORAGE": "s3", "ADMIN_S3_BUCKET": BUCKET,
                  "ADMIN_S3_ENDPOINT_URL": f"http://{host}:{port}",
                  "ADMIN_S3_REGION": "us-east-1"}
        boto3.client("s3", endpoint_url=config["ADMIN_S3_ENDPOINT_URL"],
                     region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield config
        server.stop()


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Any]:
    engine = create_engine(database_url)
    FileBlob.__table__.create(engine, checkfirst=True)  # any table: a transaction to follow
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Any) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def storage_for(s3: dict[str, Any], session: Session | None,
                prefix: str | None = None) -> S3Storage:
    made = S3Storage.from_config({**s3, "ADMIN_S3_PREFIX": prefix or uuid.uuid4().hex})
    made.session = lambda: session
    return made


def names(storage: S3Storage) -> list[str]:
    listed = storage.client.list_objects_v2(Bucket=BUCKET, Prefix=storage.prefix)
    return sorted(o["Key"][len(storage.prefix):] for o in listed.get("Contents", []))


def test_the_configuration_chooses_the_bucket(s3: dict[str, Any]) -> None:
    chosen = storage_from_config({**s3, "ADMIN_UPLOAD_FOLDER": "/nonexistent"})
    assert isinstance(chosen, S3Storage) and chosen.bucket == BUCKET and chosen.prefix == ""
    with pytest.raises(ValueError, match="set ADMIN_S3_BUCKET"):
        storage_from_config({"ADMIN_FILE_STORAGE": "s3"})
    assert storage_for(s3, None, "/a/b/").prefix == "a/b/"


def test_outside_a_transaction_an_object_is_put_read_and_deleted_at_once(
        s3: dict[str, Any]) -> None:
    storage = storage_for(s3, None)
    body = b"%PDF-1.4 " + b"x" * 3000
    key, size = storage.save(io.BytesIO(body), "承诺函.PDF")
    assert size == len(body) and key.endswith(".pdf") and names(storage) == [key]
    with storage.open(key) as fh:
        assert fh.read() == body and fh.seekable()
    storage.delete(key)
    assert names(storage) == []
    with pytest.raises(FileNotFoundError):
        storage.open(key)
    with pytest.raises(FileNotFoundError):
        storage.open("../escape")


def test_an_object_put_in_a_transaction_that_rolls_back_is_deleted(
        s3: dict[str, Any], session: Session) -> None:
    storage = storage_for(s3, session)
    lost, _size = storage.save(io.BytesIO(b"lost"), "a.pdf")
    assert names(storage) == [lost]
    session.rollback()
    assert names(storage) == []
    kept, _size = storage.save(io.BytesIO(b"kept"), "b.pdf")
    session.commit()
    session.rollback()  # a later transaction's end does not touch it
    assert names(storage) == [kept]


def test_a_delete_waits_for_the_commit(s3: dict[str, Any], session: Session) -> None:
    storage = storage_for(s3, None)
    key, _size = storage.save(io.BytesIO(b"data"), "a.pdf")
    storage.session = lambda: session
    session.connection()
    storage.delete(key)
    session.rollback()  # the write that deleted it did not happen
    assert names(storage) == [key]
    storage.delete_in(session.connection(), key)
    assert names(storage) == [key]
    session.commit()
    assert names(storage) == []


@pytest.fixture(scope="module")
def app(database_url: str, s3: dict[str, Any]) -> Iterator[Any]:
    application = make_app(database_url, **{**s3, "ADMIN_S3_PREFIX": uuid.uuid4().hex})
    apply_schema(application)
    ensure_admin(application)
    yield application
    dispose(application)


def test_a_form_upload_lands_in_the_bucket_and_downloads_from_it(app: Any) -> None:
    client = sign_in(app, "admin")
    saved = client.post("/demand/demand/add", data={
        "title": "桶中的承诺函", "letter": (io.BytesIO(b"%PDF-1.4 bucket"), "承诺函.pdf")},
        content_type="multipart/form-data")
    assert saved.status_code == 302, saved.text[:1000]
    storage = app.extensions["admin"].storage
    [key] = names(storage)
    with storage.open(key) as fh:
        assert fh.read() == b"%PDF-1.4 bucket"
    [pk] = client.get("/api/v1/demand/").json["ids"]
    download = client.get(f"/demand/demand/download/letter/{pk}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 bucket"
