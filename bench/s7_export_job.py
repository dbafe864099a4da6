"""7. A 1M-row export as a job: time to the download link, peak memory of the worker.

Ours: GET /api/v1/demand/export?format=xlsx|csv as the national user answers 202 (above
ADMIN_EXPORT_JOB_ROWS); a real `flask worker` process on Redis replays the export and writes
the file to storage; the web side polls the job's status_url until it has a download_url.
Time: from the request to the link. Memory: the worker process's peak resident set (VmHWM),
with its resident set before the job beside it. No anchor or floor: scenario 4 has both for
the export itself; this one measures what the queue adds and what the worker holds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

from bench.common import REDIS_URL, ROOT, WORK, Row, Section, db_url, emit, log, our_child
from bench.s2_list import SCHEMA, prepare
from bench.s2_list import sizes as list_sizes


def _vm(pid: int, key: str) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        line = next(line for line in fh if line.startswith(key + ":"))
    return int(line.split()[1]) / 1024  # kB -> MB


def child_ours(name: str, fmt: str) -> None:
    from bench.ourapp import SETTINGS, login, make_app

    namespace = f"bench-jobs-{uuid.uuid4().hex[:8]}"
    folders = {"ADMIN_JOB_FOLDER": str(WORK / "jobs"), "ADMIN_UPLOAD_FOLDER":
               SETTINGS["ADMIN_UPLOAD_FOLDER"], "ADMIN_IMPORT_FOLDER":
               SETTINGS["ADMIN_IMPORT_FOLDER"]}
    env = {**os.environ, "DATABASE_URL": db_url(name), "ADMIN_SCHEMA": str(SCHEMA),
           "SECRET_KEY": SETTINGS["SECRET_KEY"], "JOB_BROKER_URL": REDIS_URL,
           "ADMIN_JOB_NAMESPACE": namespace, **folders}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker",
                               "--threads", "1", "--no-scheduler"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL)
    try:
        app = make_app(name, SCHEMA, ADMIN_JOB_BROKER_URL=REDIS_URL,
                       ADMIN_JOB_NAMESPACE=namespace, ADMIN_EXPORT_JOB_ROWS=1000, **folders)
        client = app.test_client()
        login(client, "nat")
        time.sleep(3)  # the worker builds its app meanwhile; its resident set before the job
        start_rss = _vm(worker.pid, "VmRSS")
        started = time.perf_counter()
        response = client.get(f"/api/v1/demand/export?format={fmt}")
        if response.status_code != 202:
            raise RuntimeError(f"export answered {response.status_code}: {response.text[:300]}")
        status_url = response.json["status_url"]
        while True:
            status = client.get(status_url).json
            if status["state"] == "done":
                break
            if status["state"] == "failed" or worker.poll() is not None:
                raise RuntimeError(f"export job failed: {status}")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        peak = _vm(worker.pid, "VmHWM")
        size = len(client.get(status["download_url"]).data)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        import redis

        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"{namespace}*"):
            store.delete(key)
    emit({"seconds": seconds, "bytes": size, "worker_start_mb": start_rss,
          "worker_peak_mb": peak})


def run(quick: bool) -> Section:
    n = list_sizes(quick)["rows"]
    section = Section(7, f"Export of {n:,} rows as a job",
                      "Every row of the Demand table (as national) through the REST export "
                      "door, which hands it to a `flask worker` process on Redis. Seconds "
                      "from the request to the download link; the worker's peak resident set.",
                      "–", "–")
    name = prepare(quick)
    for fmt in ("xlsx", "csv"):
        r = our_child("bench.s7_export_job", "child-ours", name, fmt)
        log(f"s7 {fmt}: link after {r['seconds']:.1f}s, worker peak {r['worker_peak_mb']:.0f}MB")
        section.rows.append(Row(f"{fmt}: time to the link", r["seconds"],
                                note=f"file {r['bytes'] / 1024 / 1024:.0f} MB"))
        section.rows.append(Row(f"{fmt}: worker peak memory", r["worker_peak_mb"], unit="MB",
                                target="≤ 250 MB peak", met=r["worker_peak_mb"] <= 250,
                                note=f"before the job: {r['worker_start_mb']:.0f} MB"))
    section.notes = ["One run per format. The worker is a process of its own (the web process "
                     "only submits and polls), so a large export holds no web worker."]
    return section


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("child-"):
        {"child-ours": child_ours}[sys.argv[1]](*sys.argv[2:])
    else:
        from bench.run import main

        main(["--only", "7", *sys.argv[1:]])
