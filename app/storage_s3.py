"""Uploads in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, OSS/COS in S3 mode) through
boto3, for app hosts that share no folder.

Configuration: `ADMIN_S3_BUCKET` (required), `ADMIN_S3_ENDPOINT_URL` (the service's address;
unset: AWS), `ADMIN_S3_REGION`, `ADMIN_S3_PREFIX` (a folder inside the bucket). Credentials
come from boto3's usual chain (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, a profile, an
instance role), never from the app's configuration.

Objects follow the transaction of the write like files on disk (app/storage.py): an object put
during a transaction that rolls back is deleted again, a delete waits for the commit. Reads
are spooled (in memory up to 8 MB, then a temporary file), so a download is a plain seekable
file whatever the service, and the connection goes back to the pool at once.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping
from typing import IO, Any

from sqlalchemy.orm import Session

from app.storage import after_transaction, app_session, check_key, new_key

log = logging.getLogger(__name__)
SPOOL_BYTES = 8 * 1024 * 1024


class _Counting:
    """A read-only stream that counts what boto3 reads from it (the stored size)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.size = 0

    def read(self, amount: int = -1) -> bytes:
        data = self.stream.read(amount)
        self.size += len(data)
        return data


class S3Storage:
    def __init__(self, client: Any, bucket: str, prefix: str = "",
                 session: Callable[[], Session | None] = app_session) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.session = session

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> S3Storage:
        import boto3
        from botocore.config import Config

        bucket = config.get("ADMIN_S3_BUCKET")
        if not bucket:
            raise ValueError("ADMIN_FILE_STORAGE is 's3': set ADMIN_S3_BUCKET")
        client = boto3.client(
            "s3", endpoint_url=config.get("ADMIN_S3_ENDPOINT_URL") or None,
            region_name=config.get("ADMIN_S3_REGION") or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"},
                          s3={"addressing_style": "path"}))
        return cls(client, str(bucket), str(config.get("ADMIN_S3_PREFIX") or ""))

    def _object(self, key: str) -> str:
        check_key(key)
        return self.prefix + key

    def save(self, stream: IO[bytes], original_name: str) -> tuple[str, int]:
        key = new_key(original_name)
        name = self._object(key)
        counting = _Counting(stream)
        self.client.upload_fileobj(counting, self.bucket, name)  # multipart when large
        after_transaction(self.session(), undo_on_rollback=lambda: self._remove(name))
        return key, counting.size

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned
        try:
            self.client.download_fileobj(self.bucket, self._object(key), spool)
        except ClientError as exc:
            spool.close()
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(key) from exc
            raise
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def delete(self, key: str) -> None:
        name = self._object(key)
        if not after_transaction(self.session(), do_on_commit=lambda: self._remove(name)):
            self._remove(name)

    def delete_in(self, connection: Any, key: str) -> None:
        """Delete from inside a flush (see app/hooks/models.py): after the commit."""
        self.delete(key)

    def _remove(self, name: str) -> None:
        # After a commit or a rollback nothing can be undone: an object left behind costs
        # space, not correctness, so it is logged rather than raised.
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except Exception:  # noqa: BLE001
            log.exception("could not delete s3://%s/%s", self.bucket, name)
