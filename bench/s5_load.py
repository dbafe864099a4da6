"""5. Deadline load: gunicorn with 2 workers and a `flask worker` on PostgreSQL + Redis (the
job queue), 100 institution users saving and 上报ing (submitting) their demands at once, each
ending with an export of its rows (a job on the queue), then a check in SQL that every
acknowledged write landed exactly once and every acknowledged export job ran once, with the
user's rows.

Each user (its own hospital, its own account) signs in through the REST login before the clock
starts, then repeats:
POST /api/v1/demand/ (save a new demand), PUT /api/v1/demand/<id> (save a change of 预采购量),
POST /api/v1/demand/<id>/transition/submit (上报), with a think time of 0.5-1.5 s
(deterministic per user) before each request, until the time is up or it has done its rows;
then GET /api/v1/demand/export?format=csv, which the app answers 202 with the queued job.
The client is threads with keep-alive http.client connections, loopback only, bounded in time
and count. The server, the client and PostgreSQL share the machine's 2 cores.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.common import (
    PASSWORD,
    REDIS_URL,
    ROOT,
    SCHEMAS,
    Row,
    Section,
    Shape,
    connect,
    drop_database,
    emit,
    log,
    our_child,
    recreate_database,
)

SCHEMA = SCHEMAS / "workflow.yaml"
DB = "bench_load"
HOST = "127.0.0.1"
THINK = (0.5, 1.5)


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return {"users": 10, "seconds": 5, "rows": 5}
    return {"users": 100, "seconds": 60, "rows": 30}


def child_prepare(users: str) -> None:
    from bench.ourapp import apply, make_app, seed_world

    count = int(users)
    app = make_app(DB, SCHEMA)
    apply(app)
    seed_world(app, Shape(1, 1, 1, count),
               {f"u{i:03d}": ("institution", f"unit:{i}") for i in range(count)})
    emit({})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Ledger:
    """What the server acknowledged to one user."""

    created: list[int] = field(default_factory=list)
    planned: dict[int, int] = field(default_factory=dict)  # id -> value of the acked edit
    submitted: set[int] = field(default_factory=set)
    exports: list[tuple[int, int]] = field(default_factory=list)  # (job id, rows it must hold)
    latencies: list[tuple[str, float, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class User(threading.Thread):
    def __init__(self, number: int, port: int, go: threading.Event, seconds: float, rows: int):
        super().__init__(daemon=True)
        self.number, self.port, self.rows = number, port, rows
        self.go, self.seconds = go, seconds
        self.stop_at = 0.0
        self.signed_in = threading.Event()
        self.random = random.Random(1000 + number)
        self.ledger = Ledger()
        self.token = ""
        self.conn: http.client.HTTPConnection | None = None

    def request(self, kind: str, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        try:  # gunicorn's sync workers close every connection: http.client reopens it
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self.conn.request(method, path, json.dumps(body), headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:  # never retried: a write may
            self.conn = None  # have landed, and the check would count it as doubled
            self.ledger.failures.append(f"{kind}: {exc!r}")
            return 0, None
        self.ledger.latencies.append((kind, time.perf_counter() - started, response.status))
        try:
            return response.status, json.loads(data) if data else None
        except ValueError:
            return response.status, None

    def think(self) -> bool:
        time.sleep(self.random.uniform(*THINK))
        return time.perf_counter() < self.stop_at

    def run(self) -> None:
        try:  # signed in before the clock starts: the deadline is about saving and 上报
            status, body = self.request("login", "POST", "/api/v1/security/login", {
                "username": f"u{self.number:03d}", "password": PASSWORD, "provider": "db"})
        finally:
            self.signed_in.set()
        if status != 200:
            self.ledger.failures.append(f"login: {status} {body}")
            return
        self.token = body["access_token"]
        self.go.wait()
        self.stop_at = time.perf_counter() + self.seconds
        self.save_and_report()
        status, body = self.request("导出 (job)", "GET", "/api/v1/demand/export?format=csv", {})
        if status == 202:
            self.ledger.exports.append((body["job"], len(self.ledger.created)))
        else:
            self.ledger.failures.append(f"export: {status} {body}")

    def save_and_report(self) -> None:
        for k in range(self.rows):
            if not self.think():
                return
            status, body = self.request("save (new)", "POST", "/api/v1/demand/", {
                "item": f"P{self.number:03d}-{k:03d}", "baseline": 100, "planned": 10})
            if status != 201:
                self.ledger.failures.append(f"save new: {status} {body}")
                continue
            pk = body["id"]
            self.ledger.created.append(pk)
            self.think()
            value = 1000 * self.number + k + 11  # never the 10 it was saved with
            status, body = self.request("save (edit)", "PUT", f"/api/v1/demand/{pk}",
                                        {"planned": value})
            if status == 200:
                self.ledger.planned[pk] = value
            else:
                self.ledger.failures.append(f"save edit: {status} {body}")
            self.think()
            status, body = self.request("上报", "POST", f"/api/v1/demand/{pk}/transition/submit",
                                        {})
            if status == 200:
                self.ledger.submitted.add(pk)
            else:
                self.ledger.failures.append(f"上报: {status} {body}")


def verify(users: list[User], examples: list[str]) -> dict[str, int]:
    """Every acknowledged write exactly once: rows, values, versions, states, audit entries."""
    problems: dict[str, int] = defaultdict(int)
    with connect(DB) as conn:
        orgs = dict(conn.execute("SELECT username, org_id FROM ab_user"))
        users_ids = dict(conn.execute("SELECT username, id FROM ab_user"))
        jobs = {r[0]: r[1:] for r in conn.execute(
            "SELECT id, user_id, state, progress FROM job WHERE kind = 'export'")}
        rows = {r[0]: r[1:] for r in conn.execute(
            "SELECT id, org_id, planned, state, row_version FROM procurement_demand")}
        audit: dict[tuple[int, str], int] = defaultdict(int)
        for record_id, action, count in conn.execute(
                "SELECT record_id, action, count(*) FROM audit_entry "
                "WHERE entity = 'procurement.Demand' GROUP BY record_id, action"):
            audit[(record_id, action)] = count
    per_org: dict[int, int] = defaultdict(int)
    for org_id, *_rest in rows.values():
        per_org[org_id] += 1
    for user in users:
        for job_id, expected in user.ledger.exports:
            job = jobs.pop(job_id, None)
            if job is None or job[0] != users_ids[f"u{user.number:03d}"]:
                problems["export jobs lost"] += 1
            elif job[1:] != ("done", expected):
                problems["export jobs not done with the user's rows"] += 1
                if len(examples) < 5:
                    examples.append(f"job {job_id} of u{user.number:03d}: {job[1:]}, "
                                    f"expected ('done', {expected})")
    if jobs:
        problems["export jobs doubled"] += len(jobs)
    for user in users:
        ledger = user.ledger
        org = orgs[f"u{user.number:03d}"]
        if per_org.get(org, 0) > len(ledger.created):
            problems["rows doubled"] += per_org[org] - len(ledger.created)
        for pk in ledger.created:
            row = rows.get(pk)
            if row is None or row[0] != org:
                problems["rows lost"] += 1
                continue
            _org, planned, state, version = row
            edited, submitted = pk in ledger.planned, pk in ledger.submitted
            if planned != (ledger.planned[pk] if edited else 10):
                problems["edits lost or changed"] += 1
            if state != ("submitted" if submitted else "saved"):
                problems["上报 lost or doubled"] += 1
            if version != 1 + edited + submitted:
                problems["versions off (a write lost or doubled)"] += 1
            entries = (audit[(pk, "create")], audit[(pk, "edit")], audit[(pk, "transition")])
            if entries != (1, int(edited), int(submitted)):
                problems["audit entries off"] += 1
            if (planned != (ledger.planned[pk] if edited else 10) or version != 1 + edited
                    + submitted or entries != (1, int(edited), int(submitted))) \
                    and len(examples) < 5:
                examples.append(f"row {pk} of u{user.number:03d}: planned {planned}, state "
                                f"{state}, version {version}, audit (create, edit, "
                                f"transition) {entries}; acknowledged: edit "
                                f"{ledger.planned.get(pk)}, 上报 {submitted}")
    return dict(problems)


def _jobs_finished(seconds: float) -> float:
    """Seconds until the worker has left no job queued or running (or `seconds` passed)."""
    started = time.perf_counter()
    with connect(DB, autocommit=True) as conn:
        while time.perf_counter() - started < seconds:
            left = conn.execute("SELECT count(*) FROM job WHERE state IN ('queued', 'running')"
                                ).fetchone()[0]
            if not left:
                break
            time.sleep(0.2)
    return time.perf_counter() - started


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(quick: bool) -> Section:
    size = sizes(quick)
    section = Section(5, f"Deadline load: {size['users']} users saving and 上报ing",
                      "gunicorn, 2 sync workers, a `flask worker` on the Redis job queue, "
                      f"PostgreSQL, Redis; {size['users']} institution users for "
                      f"{size['seconds']} s (at most {size['rows']} demands each, then an "
                      "export, which is a job), think time 0.5-1.5 s before every request. Latency "
                      "from the client's send to the end of the answer.",
                      "", "")
    recreate_database(DB)
    our_child("bench.s5_load", "child-prepare", str(size["users"]))
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_LOAD_DB": DB, "REDIS_URL": REDIS_URL,
           "BENCH_JOB_NAMESPACE": f"bench-s5-{os.getpid()}"}
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "--workers", "2", "--worker-class", "sync", "--bind", f"{HOST}:{port}",
         "--timeout", "120", "--log-level", "warning", "bench.s5_wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "bench.s5_wsgi:app", "worker", "--threads", "2",
         "--no-scheduler"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.perf_counter() + 120
        while True:
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", "/login/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError("gunicorn did not start: " +
                                   (server.stderr.read().decode()[-2000:] if server.stderr
                                    else ""))
            time.sleep(0.5)
        for _ in range(4):  # both workers: build their lazy parts before the clock starts
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            conn.request("GET", "/api/v1/demand/_info")
            conn.getresponse().read()
        go = threading.Event()
        users = [User(i, port, go, size["seconds"], size["rows"])
                 for i in range(size["users"])]
        for user in users:
            user.start()
        for user in users:
            user.signed_in.wait(timeout=300)
        start_at = time.perf_counter()
        go.set()
        for user in users:
            user.join(timeout=size["seconds"] + 120)
        wall = time.perf_counter() - start_at
        stuck = sum(user.is_alive() for user in users)
        jobs_wait = _jobs_finished(120)
    finally:
        for process in (server, worker):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    examples: list[str] = []
    problems = verify(users, examples)
    if not problems:
        drop_database(DB)  # else kept for a look
    latencies = [(kind, s, status) for u in users for kind, s, status in u.ledger.latencies]
    work = [(k, s, st) for k, s, st in latencies if k not in ("login", "导出 (job)")]
    exports = sum(len(u.ledger.exports) for u in users)
    logins = [s for k, s, _st in latencies if k == "login"]
    ok = [s for _k, s, st in work if st in (200, 201)]
    failures = [f for u in users for f in u.ledger.failures]
    p50, p99 = _percentile(ok, 50) * 1000, _percentile(ok, 99) * 1000
    rows = sum(len(u.ledger.created) for u in users)
    lost = sum(problems.values()) + stuck
    log(f"s5: {len(ok)} writes in {wall:.1f}s, p50 {p50:.0f}ms p99 {p99:.0f}ms, "
        f"{len(failures)} failures, problems {problems}")
    section.rows = [
        Row("throughput (acknowledged writes per second)", len(ok) / wall, unit="req/s",
            lower_is_better=False,
            note=f"{len(ok)} writes ({rows} demands saved, changed and 上报ed) in {wall:.1f} s"),
        Row("latency p50", p50, unit="ms"),
        Row("latency p99", p99, unit="ms", target="< 300 ms", met=p99 < 300),
        Row("export jobs: the last one done, after the load", jobs_wait, unit="s",
            note=f"{exports} exports queued by the web hosts, run by one `flask worker` "
                 "(2 threads) on the Redis queue"),
        Row("writes lost or doubled", lost, unit="", target="0", met=lost == 0 and not failures,
            note=f"{len(failures)} requests failed"
                 + (f" (first: {failures[0][:120]})" if failures else "")),
    ]
    by_kind = defaultdict(list)
    for kind, s, status in work:
        if status in (200, 201):
            by_kind[kind].append(s)
    section.notes = [
        "Per request: " + "; ".join(
            f"{kind} p50 {_percentile(v, 50) * 1000:.0f} ms, p99 "
            f"{_percentile(v, 99) * 1000:.0f} ms ({len(v)})" for kind, v in by_kind.items()),
        "The check reads every row, version, state and audit entry back in SQL: each "
        "acknowledged save, change and 上报 must be there exactly once, and nothing else; "
        "each acknowledged export must be one job, done by the worker, with the user's rows. "
        + ("Nothing was lost or doubled." if not problems else
           f"Found: {dict(problems)}; for example " + "; ".join(examples) + "."),
        "Sign-in through the REST login, before the clock started (password hashing makes it "
        f"the dearest request): p50 {_percentile(logins, 50) * 1000:.0f} ms, p99 "
        f"{_percentile(logins, 99) * 1000:.0f} ms for {len(logins)} users at once.",
        "No anchor: the issue names none for this scenario; its target is absolute.",
    ]
    return section


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child-prepare":
        child_prepare(*sys.argv[2:])
    else:
        from bench.run import main

        main(["--only", "5", *sys.argv[1:]])
