"""`flask worker`: consume the job queue and tick the schedules, until stopped."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from app.jobs import scheduler
from app.jobs.queue import jobs


@click.command("worker", help="Run background jobs and schedules (needs ADMIN_JOB_BROKER_URL).")
@click.option("--threads", default=None, type=int,
              help="Jobs run at once (default: ADMIN_WORKER_THREADS).")
@click.option("--no-scheduler", is_flag=True, help="Only run jobs; fire no schedules.")
@with_appcontext
def worker(threads: int | None, no_scheduler: bool) -> None:
    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    extension = jobs(app)
    if extension.embedded:
        raise click.ClickException(
            "ADMIN_JOB_BROKER_URL (env JOB_BROKER_URL) is empty: the web process runs the "
            "jobs itself. Set it to redis://host:6379/0 to run workers of their own.")
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    running = extension.start_worker(threads or int(app.config["ADMIN_WORKER_THREADS"]))
    click.echo(f"worker consuming {extension.url.split('@')[-1]}")
    try:
        if no_scheduler:
            stop.wait()
        else:
            scheduler.loop(app, stop)
    finally:
        running.stop()
