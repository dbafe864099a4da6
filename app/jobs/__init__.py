"""Background jobs: the queue (queue.py), one job's run (runner.py), the kinds of job
(kinds.py), the schedules (scheduler.py) and the pages that show them (views.py)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.jobs.queue import Jobs, jobs

__all__ = ["Jobs", "init_app", "jobs"]


def init_app(app: Flask, appbuilder: Any) -> None:
    extension = Jobs(app)
    app.extensions["jobs"] = extension
    from app.jobs import scheduler, views  # noqa: F401 - scheduler registers its job kind

    views.init_app(appbuilder)
    if extension.embedded and not extension.sync:
        # the in-process worker starts with the first request (not in `flask schema …`)
        app.before_request(extension.start_embedded)
