"""The kinds of job: what a job of each kind runs, and what a failure also marks.

A kind's `run(ctx)` works in the job's session (it never commits: the runner commits the
work and the job's end together) and returns what the job made, if anything; `on_fail`
marks the records that wait for the job (an import's run) when the job fails or its worker
dies. Modules register their kinds at import time (app/io/runs.py, app/io/export_jobs.py,
app/jobs/scheduler.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import LazyString

from app.jobs.models import Job


@dataclass
class Outcome:
    """What a finished job leaves: a file in storage (a large export) and its name."""

    result_file: str | None = None
    result_name: str | None = None
    note: str | None = None  # what the user must know of the result (Chinese)


@dataclass(frozen=True)
class Shown:
    """How the jobs list shows one job beyond its kind: what it worked on (导入：采购需求
    （需求.xlsx）), what it found when done, and the page that tells more."""

    name: str
    result: str = ""
    link: str | None = None


@dataclass
class Context:
    """What a running job gets: its row, parameters, user, session and progress counter."""

    job: Job
    params: dict[str, Any]
    user: Any
    session: Any
    progress: Callable[[int], None]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    name: str
    label: LazyString  # what the jobs list calls it
    run: Callable[[Context], Outcome | None]
    on_fail: Callable[[Any, Job], None] | None = None
    after_commit: Callable[[Job], None] | None = None  # e.g. remove the imported file
    # the jobs list's words for a page of jobs of this kind (one query for the page)
    describe: Callable[[Any, list[Job]], dict[int, Shown]] | None = None


KINDS: dict[str, Kind] = {}


class Refused(Exception):
    """A job that may not do what it was asked (any more): it fails with this reason (a
    msgid), and nothing of it is written."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def params_of(job: Job) -> dict[str, Any]:
    return dict(json.loads(job.params or "{}"))
