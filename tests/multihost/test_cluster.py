"""The multi-host test (`make test-multihost`, run by CI after `make test`): two app hosts
served by gunicorn and a worker, each in a network namespace of its own (tests/multihost/
cluster.py), sharing one PostgreSQL database, one Redis and one upload folder. Every check
goes to one host and then looks from the other, as a load balancer without sticky sessions
would send a person's requests.

Needs root and `ip netns` (skipped otherwise, and outside `make test-multihost`, where
ADMIN_MULTIHOST=1 is set)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import prison
import pytest
import redis
import requests
from sqlalchemy import create_engine, text

from tests.conftest import (
    ADMIN_PASSWORD,
    ALL_TYPES,
    POSTGRES_URL,
    apply_schema,
    dispose,
    ensure_admin,
    make_app,
)
from tests.multihost.cluster import Cluster, base_env, cluster, netns_possible

REDIS = "redis://127.0.0.1:6379/11"
JOB_NAMESPACE = f"multihost-{uuid.uuid4().hex[:8]}"  # the queue's keys in the shared Redis
IMPORT_ROWS = 20_000  # enough for the worker to be caught mid-import
LOCKOUT = 5
RATE = 6  # sign-in posts per address per minute

if os.environ.get("ADMIN_MULTIHOST") != "1":
    pytest.skip("the multi-host test runs with `make test-multihost`", allow_module_level=True)
_why = netns_possible()
if _why:
    pytest.fail(f"network namespaces are not possible here: {_why}", pytrace=False)

SCHEDULE = """
schedules:
  - name: sweep_each_minute
    cron: "* * * * *"
    action: accounts_sweep
    params: {dry_run: true}
"""
HOST_CONFIG = {
    "AUTH_RATE_LIMIT": f"{RATE} per 60 second",
    "ADMIN_PROXY_COUNT": 1,  # the test plays nginx: X-Forwarded-For names the client
    "ADMIN_METRICS_TOKEN": "multihost-scrape",
    "ADMIN_PASSWORD_POLICY": {"captcha": False, "change_first_login": False,
                              "not_username": False, "lockout_attempts": LOCKOUT},
}


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = f"mh_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="module")
def hosts(database: str, tmp_path_factory: Any) -> Iterator[Cluster]:
    shared = tmp_path_factory.mktemp("shared")  # the shared folder every host mounts
    schema = shared / "schema"  # the test schema with a schedule that is due every minute
    shutil.copytree(ALL_TYPES.parent, schema)
    with open(schema / "modules" / "demand.yaml", "a", encoding="utf-8") as fh:
        fh.write(SCHEDULE)
    config = {**HOST_CONFIG, "ADMIN_SCHEMA": str(schema / ALL_TYPES.name)}
    setup = make_app(database, schema / ALL_TYPES.name,
                     ADMIN_UPLOAD_FOLDER=str(shared / "uploads"))
    apply_schema(setup)  # `schema apply`, once, before the hosts start
    ensure_admin(setup)
    with setup.app_context():
        sm = setup.appbuilder.sm
        sm.add_user("locked", "锁定", "测试", "locked@localhost", sm.find_role("Admin"),
                    ADMIN_PASSWORD)
    dispose(setup)
    env = base_env(database, REDIS, MULTIHOST_CONFIG=json.dumps(config),
                   ADMIN_UPLOAD_FOLDER=shared / "uploads",
                   ADMIN_IMPORT_FOLDER=shared / "imports", ADMIN_JOB_FOLDER=shared / "jobs",
                   JOB_BROKER_URL=REDIS, ADMIN_JOB_NAMESPACE=JOB_NAMESPACE,
                   ADMIN_JOB_HEARTBEAT_SECONDS=0.5, ADMIN_JOB_STALE_SECONDS=3,
                   ADMIN_SCHEDULER_TICK_SECONDS=1)
    try:
        with cluster(tmp_path_factory.mktemp("logs"), env) as made:
            made.serve("a")
            made.serve("b")
            made.work("w")
            made.wait_ready("a")
            made.wait_ready("b")
            yield made
    finally:
        queue = redis.Redis.from_url(REDIS)
        for key in queue.scan_iter(f"{JOB_NAMESPACE}*"):
            queue.delete(key)
        queue.close()


class Person:
    """One browser: its session cookie goes to whichever host serves the request, and every
    request comes from `address` through "nginx" (X-Forwarded-For)."""

    def __init__(self, hosts: Cluster, address: str | None = None) -> None:
        self.hosts = hosts
        self.cookie: str | None = None
        self.address = address or f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"

    def send(self, host: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-Forwarded-For": self.address, **kwargs.pop("headers", {})}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        response = requests.request(method, self.hosts.url(host) + path, headers=headers,
                                    allow_redirects=False, timeout=30, **kwargs)
        if "session" in response.cookies:
            self.cookie = response.cookies["session"]
        return response

    def token(self, host: str, path: str = "/login/") -> str:
        page = self.send(host, "GET", path)
        match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert match, page.text[:500]
        return match.group(1)

    def sign_in(self, host: str, username: str = "admin",
                password: str = ADMIN_PASSWORD) -> requests.Response:
        return self.send(host, "POST", "/login/", data={
            "username": username, "password": password, "csrf_token": self.token(host)})


def signed_in(response: requests.Response) -> bool:
    return response.status_code == 302 and response.headers["Location"] == "/"


def test_both_hosts_are_ready_on_the_shared_services(hosts: Cluster) -> None:
    for host in ("a", "b"):
        ready = requests.get(hosts.url(host) + "/readyz", timeout=10)
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_a_sign_in_on_a_is_valid_on_b(hosts: Cluster) -> None:
    person = Person(hosts)
    assert person.send("b", "GET", "/api/v1/demand/").status_code == 401
    assert signed_in(person.sign_in("a"))
    assert person.send("b", "GET", "/api/v1/demand/").status_code == 200
    assert person.send("b", "GET", "/demand/demand/list/").status_code == 200


def test_signing_out_on_a_ends_the_session_on_b(hosts: Cluster) -> None:
    person = Person(hosts)
    assert signed_in(person.sign_in("a"))
    kept = person.cookie  # the cookie as it was: someone who copied it keeps nothing
    assert person.send("b", "GET", "/api/v1/demand/").status_code == 200
    person.send("a", "GET", "/logout/")
    person.cookie = kept
    assert person.send("b", "GET", "/api/v1/demand/").status_code == 401
    page = person.send("b", "GET", "/demand/demand/list/")
    assert page.status_code == 302 and "/login/" in page.headers["Location"]


def test_failed_sign_ins_lock_the_account_across_hosts(hosts: Cluster, database: str) -> None:
    person = Person(hosts)
    for attempt in range(LOCKOUT - 1):
        assert not signed_in(person.sign_in("ab"[attempt % 2], "locked", "Wrong@00000"))
    # four failures spread over both hosts: not locked yet, the count is shared
    engine = create_engine(database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT fail_login_count FROM ab_user "
                                 "WHERE username = 'locked'")).scalar() == LOCKOUT - 1
    assert not signed_in(Person(hosts).sign_in("b", "locked", "Wrong@00000"))
    # the right password is refused on the other host now: the account is locked
    assert not signed_in(Person(hosts).sign_in("a", "locked", ADMIN_PASSWORD))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT locked_until IS NOT NULL FROM ab_user "
                                 "WHERE username = 'locked'")).scalar()
    engine.dispose()


def test_the_sign_in_rate_limit_counts_both_hosts(hosts: Cluster) -> None:
    person = Person(hosts)
    for attempt in range(RATE):
        answer = person.sign_in("ab"[attempt % 2], "nobody", "x")
        assert answer.status_code == 302, attempt  # refused, sent back to the form
    assert person.sign_in("a", "nobody", "x").status_code == 429
    assert person.sign_in("b", "nobody", "x").status_code == 429
    assert Person(hosts).send("b", "GET", "/login/").status_code == 200  # others still served


def test_a_file_uploaded_on_a_downloads_on_b(hosts: Cluster) -> None:
    person = Person(hosts)
    assert signed_in(person.sign_in("a"))
    body = b"%PDF-1.4 " + uuid.uuid4().hex.encode()
    title = "跨主机上传" + uuid.uuid4().hex[:6]
    saved = person.send("a", "POST", "/demand/demand/add", data={
        "title": title, "csrf_token": person.token("a", "/demand/demand/add")},
        files={"letter": ("承诺函.pdf", body, "application/pdf")})
    assert saved.status_code == 302, saved.text[:2000]
    listed = person.send("b", "GET", "/api/v1/demand/", params={"q": prison.dumps(
        {"filters": [{"col": "title", "opr": "eq", "value": title}]})}).json()
    [pk] = listed["ids"]
    download = person.send("b", "GET", f"/demand/demand/download/letter/{pk}")
    assert download.status_code == 200 and download.content == body


def test_metrics_are_closed_to_the_network_and_open_to_the_scraper(hosts: Cluster) -> None:
    for host in ("a", "b"):
        url = hosts.url(host) + "/metrics"
        assert requests.get(url, timeout=10).status_code == 404  # not a loopback peer
        scraped = requests.get(url, headers={"Authorization": "Bearer multihost-scrape"},
                               timeout=10)
        assert scraped.status_code == 200
        assert 'http_request_duration_seconds_count{endpoint="readyz"' in scraped.text
        assert 'job_queue_depth{state="queued"}' in scraped.text  # the shared table's


def test_the_logs_are_json_lines_with_request_ids(hosts: Cluster) -> None:
    answer = requests.get(hosts.url("b") + "/healthz", headers={"X-Request-ID": "mh-trace-1"},
                          timeout=10)
    assert answer.headers["X-Request-ID"] == "mh-trace-1"
    lines = [json.loads(line) for line in hosts.processes["app-b"].log.read_text().splitlines()
             if line.startswith("{")]
    assert any(e.get("request_id") == "mh-trace-1" and e["logger"] == "app.access"
               for e in lines)


# --- imports as jobs: started on one host, seen on the other, run by the worker -------------
def csv_rows(count: int, prefix: str) -> bytes:
    lines = ["需求名称,2020年采购量,预采购量"]
    lines += [f"{prefix}{i:06d},{i % 90 + 10},{i % 70 + 5}" for i in range(count)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def demand_rows(database: str, prefix: str) -> int:
    engine = create_engine(database)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM demand_demand WHERE title LIKE :p"),
                             {"p": prefix + "%"}).scalar_one()
    engine.dispose()
    return int(found)


def wait_for(what: Any, seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds}s in vain")


def start_import(person: Person, host: str, data: bytes) -> str:
    """Upload on `host`; the run's page (checked by the worker)."""
    page = "/demand/demand/import/"
    answer = person.send(host, "POST", page, data={
        "csrf_token": person.token(host, page), "submit_key": uuid.uuid4().hex},
        files={"file": ("需求.csv", data, "text/csv")})
    assert answer.status_code == 302, answer.text[:1000]
    return urlsplit(answer.headers["Location"]).path


def status(person: Person, host: str, run: str) -> dict[str, Any]:
    answer = person.send(host, "GET", run + "/status")
    assert answer.status_code == 200, answer.text[:500]
    return dict(answer.json())


def commit(person: Person, host: str, run: str, token: str | None = None) -> requests.Response:
    return person.send(host, "POST", run + "/commit",
                       data={"csrf_token": token or person.token(host, run)})


def test_an_import_started_on_a_shows_its_progress_on_b_and_commits_once(
        hosts: Cluster, database: str) -> None:
    person = Person(hosts)
    assert signed_in(person.sign_in("a"))
    run = start_import(person, "a", csv_rows(IMPORT_ROWS, "跨主机导入"))
    wait_for(lambda: status(person, "b", run)["status"] == "valid")
    assert demand_rows(database, "跨主机导入") == 0  # checked, nothing written yet
    token = person.token("a", run)  # the page's form, sent twice: a double click
    first, second = commit(person, "a", run, token), commit(person, "b", run, token)
    assert first.status_code == 302 and second.status_code in (302, 409)
    seen: list[dict[str, Any]] = []  # what B shows while the worker writes

    def done() -> bool:
        seen.append(status(person, "b", run))
        return bool(seen[-1]["status"] in ("done", "failed"))

    wait_for(done)
    assert any(s["status"] == "importing" and s["processed"] > 0 for s in seen), seen[:5]
    assert seen[-1]["status"] == "done" and seen[-1]["created"] == IMPORT_ROWS
    assert demand_rows(database, "跨主机导入") == IMPORT_ROWS  # once, not twice


def test_a_worker_killed_mid_import_leaves_no_rows_and_a_failed_run(
        hosts: Cluster, database: str) -> None:
    person = Person(hosts)
    assert signed_in(person.sign_in("b"))
    run = start_import(person, "b", csv_rows(IMPORT_ROWS, "中断导入"))
    wait_for(lambda: status(person, "a", run)["status"] == "valid")
    assert commit(person, "b", run).status_code == 302
    wait_for(lambda: status(person, "a", run)["processed"] > 0)  # rows being written
    assert status(person, "a", run)["status"] == "importing"
    hosts.processes["worker"].stop(signal.SIGKILL)
    failed = wait_for(lambda: [s for s in [status(person, "a", run)] if s["status"] == "failed"],
                      60)
    assert failed and demand_rows(database, "中断导入") == 0
    assert "导入失败" in person.send("a", "GET", run).text
    hosts.work("w", "worker-again")  # the next checks need a worker


def test_a_schedule_fires_once_not_once_per_worker(hosts: Cluster, database: str) -> None:
    hosts.work("b", "worker-b")  # a second scheduler ticking beside the worker namespace's
    engine = create_engine(database)
    fires = "SELECT planned_at, count(*), min(state) FROM job_schedule_run GROUP BY planned_at"

    def done() -> list[Any]:
        with engine.connect() as conn:
            return [r for r in conn.execute(text(fires)) if r[2] == "done"]

    first = wait_for(done, 90)[0][0]
    time.sleep(3)  # both schedulers tick every second: several more ticks of the same minute
    with engine.connect() as conn:
        counts = {r[0]: r[1] for r in conn.execute(text(fires))}
        jobs_of_fire = conn.execute(text(
            "SELECT count(*) FROM job WHERE key = :k"),
            {"k": f"schedule:demand.sweep_each_minute:{first:%Y%m%d%H%M}"}).scalar_one()
    engine.dispose()
    assert counts[first] == 1 and set(counts.values()) == {1}, counts
    assert jobs_of_fire == 1
    assert all("worker consuming" in hosts.processes[w].tail(400)
               for w in ("worker-again", "worker-b"))  # two schedulers were running
