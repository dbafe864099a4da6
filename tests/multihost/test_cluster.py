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
import uuid
from collections.abc import Iterator
from typing import Any

import prison
import pytest
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
LOCKOUT = 5
RATE = 6  # sign-in posts per address per minute

if os.environ.get("ADMIN_MULTIHOST") != "1":
    pytest.skip("the multi-host test runs with `make test-multihost`", allow_module_level=True)
_why = netns_possible()
if _why:
    pytest.fail(f"network namespaces are not possible here: {_why}", pytrace=False)

HOST_CONFIG = {
    "ADMIN_SCHEMA": str(ALL_TYPES),
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
    setup = make_app(database, ADMIN_UPLOAD_FOLDER=str(shared / "uploads"))
    apply_schema(setup)  # `schema apply`, once, before the hosts start
    ensure_admin(setup)
    with setup.app_context():
        sm = setup.appbuilder.sm
        sm.add_user("locked", "锁定", "测试", "locked@localhost", sm.find_role("Admin"),
                    ADMIN_PASSWORD)
    dispose(setup)
    env = base_env(database, REDIS, MULTIHOST_CONFIG=json.dumps(HOST_CONFIG),
                   ADMIN_UPLOAD_FOLDER=shared / "uploads",
                   ADMIN_IMPORT_FOLDER=shared / "imports")
    with cluster(tmp_path_factory.mktemp("logs"), env) as made:
        made.serve("a")
        made.serve("b")
        made.wait_ready("a")
        made.wait_ready("b")
        yield made


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
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
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


def test_the_logs_are_json_lines_with_request_ids(hosts: Cluster) -> None:
    answer = requests.get(hosts.url("b") + "/healthz", headers={"X-Request-ID": "mh-trace-1"},
                          timeout=10)
    assert answer.headers["X-Request-ID"] == "mh-trace-1"
    lines = [json.loads(line) for line in hosts.processes["app-b"].log.read_text().splitlines()
             if line.startswith("{")]
    assert any(e.get("request_id") == "mh-trace-1" and e["logger"] == "app.access"
               for e in lines)
