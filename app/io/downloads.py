"""The download responses of every table export (entity lists, the audit log, 登录日志).

CSV streams line by line while the rows are read; xlsx is written to a temporary file in
constant memory (xlsxwriter) and sent from there. The file is unlinked as soon as it is open:
a `send_file` response is passed straight to the server, which never runs the response's own
close callbacks, so a "remove on close" left every export's file behind in the temp folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, stream_with_context

from app.io.export import XLSX, csv_lines, disposition, write_lines_xlsx
from app.security.headers import send_attachment


def csv_download(headers: list[str], lines: Iterable[Iterable[Any]], file_name: str,
                 chunks: Iterator[bytes] | None = None) -> Response:
    """`chunks`: the file's bytes already made (app/io/export_rows.py), else csv_lines."""
    body = chunks if chunks is not None else csv_lines(headers, lines)
    response = Response(stream_with_context(body),
                        mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = disposition(file_name)
    return response


def xlsx_download(headers: list[str], lines: Iterable[Iterable[Any]], sheet: str,
                  file_name: str, percent: Iterable[int] = ()) -> Response:
    path = write_lines_xlsx(headers, lines, sheet, percent)
    try:
        stream = open(path, "rb")  # noqa: SIM115 - the server closes it after sending
    finally:
        os.remove(path)
    response = send_attachment(stream, file_name, XLSX)
    response.content_length = os.fstat(stream.fileno()).st_size
    return response
