"""The scheduler loop of every worker process (and of the embedded web process): each tick
fails the jobs whose worker died and fires the schedules that are due."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from app.context import db_session, end_session
from app.jobs import runner

log = logging.getLogger(__name__)


def tick(app: Flask) -> None:
    with app.app_context():
        session = db_session(app)
        try:
            runner.sweep_stale(app, session)
        finally:
            end_session(app)


def loop(app: Flask, stop: threading.Event) -> None:
    interval = float(app.config["ADMIN_SCHEDULER_TICK_SECONDS"])
    while not stop.is_set():
        started = time.monotonic()
        try:
            tick(app)
        except Exception:  # noqa: BLE001 - the next tick tries again
            log.exception("scheduler tick")
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def start_thread(app: Flask) -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=loop, args=(app, stop), daemon=True, name="scheduler").start()
    return stop
