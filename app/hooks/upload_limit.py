"""upload_limit: file types by content, sizes, files per field, a quota per organisation.

    letter:
      type: file
      hook: upload_limit
      params: {types: [pdf], max_files: 1, max_mb: 20, quota_mb: 200}

`types: [any]` accepts every format (only its size is checked); the download door sends every
file as an attachment the browser does not render (app/security/headers.py).

`check` runs when a file arrives (form validation: the message goes next to the field and the
rest of the form stays as typed):

- the extension must be one of `types` (`jpg` also takes `.jpeg`), and the content must be
  that type: a PDF starts with `%PDF-` at byte 0, ends with `%%EOF` and is parsed (pypdf)
  down to its pages, so an HTML or EXE file renamed to .pdf and a truncated PDF are refused;
  PNG and JPEG by signature and Pillow's structure check; xlsx, docx and zip must be zip
  archives (xlsx and docx with the members Office writes);
- at most `max_mb` per file (`MAX_CONTENT_LENGTH` bounds the whole request before that: a
  request above it is answered 413 in Chinese by app/errors.py);
- a file field holds one file: a request carrying two or more files for it is refused, and a
  new upload replaces the stored one (its space is given back).

`reserve` runs in the transaction of the write (app/hooks/runtime.py `before_save`): the
row's organisation (`obj.org`, else the user's) is charged the file's size minus the size of
the file it replaces, by one guarded UPDATE of `hook_org_quota`; the row stays locked until
the write commits, so concurrent uploads cannot take the organisation over `quota_mb`.
Deleting a row gives its space back (`release`, from app/hooks/models.py).
"""

from __future__ import annotations

import logging
import os
import zipfile
from typing import IO, Any

from flask import has_app_context, has_request_context, request
from sqlalchemy import case, exists, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from app.context import generated
from app.hooks.base import Denied
from app.hooks.models import SIZE_CHANGES, OrgQuota
from generator.spec import Entity, Field, HookRef

log = logging.getLogger(__name__)
MB = 1024 * 1024
FILES_PER_FIELD = 1  # a file field stores one file (generator/models.py)
ANY = "any"  # `types: [any]`: every format (企业空间's documents), content not parsed


def __(msgid: str) -> str:
    """Marks a message id for extraction (babel.cfg keyword `__`); translated where shown."""
    return msgid


WRONG_TYPE = __("Only these file types are accepted: %(types)s.")
NOT_THE_TYPE = __("The content does not match the file name: it ends in %(ext)s, but the "
                  "file is not a %(type)s file.")
BROKEN = __("The %(type)s file is damaged or incomplete and cannot be opened; save it again "
            "and upload it anew.")
ENCRYPTED = __("The PDF file is protected by a password; upload it without one.")
EMPTY = __("The file is empty.")
TOO_BIG = __("The file is %(size)s MB; at most %(max_mb)s MB is allowed.")
TOO_MANY = __("Only %(max_files)s file can be uploaded here; choose one file (a new upload "
              "replaces the current one).")
QUOTA_FULL = __("The organisation's space is full: %(used)s MB used, the limit is "
                "%(limit)s MB (this file: %(size)s MB).")

EXTENSIONS = {"pdf": (".pdf",), "jpg": (".jpg", ".jpeg"), "png": (".png",),
              "xlsx": (".xlsx",), "docx": (".docx",), "zip": (".zip",)}
LABELS = {"pdf": "PDF", "jpg": "JPG", "png": "PNG", "xlsx": "Excel (xlsx)",
          "docx": "Word (docx)", "zip": "ZIP"}
SIGNATURES = {"pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",),
              "xlsx": (b"PK\x03\x04",), "docx": (b"PK\x03\x04",),
              "zip": (b"PK\x03\x04", b"PK\x05\x06")}
ZIP_MEMBERS = {"xlsx": ("[Content_Types].xml", "xl/workbook.xml"),
               "docx": ("[Content_Types].xml", "word/document.xml"), "zip": ()}
PDF_EOF_WINDOW = 1024  # readers look for %%EOF in the last KiB


def mb(size: float) -> str:
    """Bytes as MB for messages: 200, 1.5, 0.05."""
    value = size / MB
    if 0 < value < 0.01:
        return "0.01"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


# -- check: one upload ----------------------------------------------------------------------
def check(ref: HookRef, entity: Entity, field: Field, obj: Any, upload: Any, user: Any,
          session: Any) -> None:
    """Refuse (raise Denied) an upload that breaks the limits."""
    _one_file(upload)
    types = list(ref.get("types") or [])
    name = upload.filename or ""
    ext = os.path.splitext(name)[1].lower()
    kind = ANY if ANY in types else next((t for t in types if ext in EXTENSIONS[t]), None)
    if kind is None:
        raise Denied(WRONG_TYPE, types="、".join(LABELS[t] for t in types))
    stream = upload.stream
    size = _size(stream)
    if size == 0:
        raise Denied(EMPTY)
    max_bytes = float(ref.get("max_mb", 20.0)) * MB
    if size > max_bytes:
        raise Denied(TOO_BIG, size=mb(size), max_mb=mb(max_bytes))
    if kind == ANY:
        return  # any format: nothing to parse; the download door serves it inert
    try:
        check_content(kind, stream, ext)
    finally:
        stream.seek(0)


def _one_file(upload: Any) -> None:
    """A file field holds one file: two files sent for it are refused, not silently cut."""
    if not has_request_context() or not getattr(upload, "name", None):
        return
    sent = [f for f in request.files.getlist(upload.name) if f.filename]
    if len(sent) > FILES_PER_FIELD:
        raise Denied(TOO_MANY, max_files=FILES_PER_FIELD)


def check_content(kind: str, stream: IO[bytes], ext: str = "") -> None:
    """Raise Denied unless the stream holds a sound file of `kind`."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    if not any(head.startswith(sig) for sig in SIGNATURES[kind]):
        raise Denied(NOT_THE_TYPE, ext=ext or "." + kind, type=LABELS[kind])
    try:
        if kind == "pdf":
            _pdf(stream)
        elif kind in ("png", "jpg"):
            _image(stream, kind)
        else:
            _zip(stream, kind)
    except Denied:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure means a broken file
        log.info("refused a broken %s upload: %s", kind, exc)
        raise Denied(BROKEN, type=LABELS[kind]) from exc
    finally:
        stream.seek(0)


def _pdf(stream: IO[bytes]) -> None:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    size = _size(stream)
    stream.seek(max(0, size - PDF_EOF_WINDOW))
    if b"%%EOF" not in stream.read():
        raise ValueError("no %%EOF marker: truncated")
    stream.seek(0)
    reader = PdfReader(stream, strict=False)
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise Denied(ENCRYPTED)
        except DependencyError:
            return  # AES without a crypto library: the structure was read, that will do
    if len(reader.pages) == 0:
        raise ValueError("no pages")
    for page in reader.pages:
        _ = page.mediabox


def _image(stream: IO[bytes], kind: str) -> None:
    from PIL import Image

    with Image.open(stream) as image:
        if image.format != {"png": "PNG", "jpg": "JPEG"}[kind]:
            raise ValueError(f"not {kind}: {image.format}")
        image.verify()


def _zip(stream: IO[bytes], kind: str) -> None:
    with zipfile.ZipFile(stream) as archive:
        names = set(archive.namelist())
    missing = [m for m in ZIP_MEMBERS[kind] if m not in names]
    if missing:
        raise Denied(NOT_THE_TYPE, ext="." + kind, type=LABELS[kind])


# -- reserve: the organisation's quota, in the write's transaction ------------------------
def _org_id(obj: Any, user: Any) -> int | None:
    org = getattr(obj, "org", None)
    if org is not None and getattr(org, "id", None) is not None:
        return int(org.id)
    if getattr(obj, "org_id", None) is not None:
        return int(obj.org_id)
    org_id = getattr(user, "org_id", None)
    return int(org_id) if org_id is not None else None


def _size_change(obj: Any, field: Field, session: Any) -> tuple[int, int]:
    """(bytes added, bytes of the file replaced) by this write for the field, including what
    an autoflush already wrote in this transaction (app/hooks/models.py)."""
    state = inspect(obj)
    flushed = session.info.get(SIZE_CHANGES, {}).pop((state, field.name), (0, 0))
    history = state.attrs[f"{field.name}_size"].history
    return (flushed[0] + sum(v or 0 for v in history.added),
            flushed[1] + sum(v or 0 for v in history.deleted))


def reserve(ref: HookRef, entity: Entity, field: Field, obj: Any, user: Any,
            session: Any) -> None:
    """Count the row's files against its organisation's quota, in the write's transaction."""
    quota_mb = ref.get("quota_mb")
    if quota_mb is None or obj is None:
        return  # no quota; an import as a whole carries no files
    added, replaced = _size_change(obj, field, session)
    delta = added - replaced
    if delta == 0:
        return
    org_id = _org_id(obj, user)
    if org_id is None:
        return  # a row of nobody's (the national administrator's own): no organisation space
    connection = session.connection()
    if delta < 0:
        give_back(connection, org_id, -delta)
        return
    limit = int(float(quota_mb) * MB)
    table = OrgQuota.__table__
    _ensure_row(connection, org_id)
    charged = connection.execute(
        update(table)
        .where(table.c.org_id == org_id, table.c.used_bytes + delta <= limit)
        .values(used_bytes=table.c.used_bytes + delta))
    if charged.rowcount != 1:
        used = connection.execute(select(table.c.used_bytes).where(table.c.org_id == org_id)
                                  ).scalar() or 0
        raise Denied(QUOTA_FULL, used=mb(used), limit=mb(limit), size=mb(added))


def _ensure_row(connection: Any, org_id: int) -> None:
    """The organisation's row, inserted once; two first uploads at once both find it."""
    table = OrgQuota.__table__
    if connection.execute(select(exists().where(table.c.org_id == org_id))).scalar():
        return
    dialect = connection.dialect.name
    if dialect in ("postgresql", "sqlite"):
        from sqlalchemy.dialects import postgresql, sqlite

        dialect_insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        connection.execute(dialect_insert(table).values(org_id=org_id, used_bytes=0)
                           .on_conflict_do_nothing(index_elements=["org_id"]))
        return
    try:
        with connection.begin_nested():
            connection.execute(insert(table).values(org_id=org_id, used_bytes=0))
    except IntegrityError:
        pass  # inserted by a concurrent upload


def give_back(connection: Any, org_id: int, size: int) -> None:
    table = OrgQuota.__table__
    connection.execute(update(table).where(table.c.org_id == org_id).values(
        used_bytes=case((table.c.used_bytes > size, table.c.used_bytes - size), else_=0)))


def used_bytes(session: Any, org_id: int) -> int:
    table = OrgQuota.__table__
    return int(session.execute(select(table.c.used_bytes).where(table.c.org_id == org_id)
                               ).scalar() or 0)


def release(entity: Entity, target: Any, connection: Any) -> None:
    """A row is being deleted (inside its flush): its files go once the delete commits, and
    their space goes back to the organisation now, in the same transaction."""
    from app.security.scope import current

    storage = generated().storage if has_app_context() else None
    state = inspect(target).dict
    for f in entity.fields:
        if f.hook is None or f.hook.name != "upload_limit":
            continue
        key = state.get(f.name)
        if not key:
            continue
        if storage is not None:
            storage.delete_in(connection, key)
        size = state.get(f"{f.name}_size") or 0
        if f.hook.get("quota_mb") is None or not size:
            continue
        org_id = state.get("org_id")
        if org_id is None:
            org_id = getattr(current(), "org_id", None)
        if org_id is not None:
            give_back(connection, int(org_id), int(size))


__all__ = ["check", "check_content", "give_back", "release", "reserve", "used_bytes"]
