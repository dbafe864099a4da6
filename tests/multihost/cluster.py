"""Two app hosts and a worker on one machine, each in a network namespace of its own.

Each namespace gets a veth pair with a private /30 (host side .1, namespace side .2) and no
default route, so nothing it sends can leave the machine. PostgreSQL and Redis listen on
127.0.0.1 only and are shared by every developer of the machine, so their configuration is
left alone: a small TCP forwarder in the test process listens on each veth's host-side address
and relays to 127.0.0.1 (PostgreSQL sees a loopback client: its `trust` rule applies). The
test itself, in the root namespace, reaches each host at its namespace-side address, as a load
balancer would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"postgresql": 5432, "redis": 6379}  # relayed from each veth to 127.0.0.1
APP_PORT = 8000


def run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def netns_possible() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if os.geteuid() != 0:
        return "needs root (ip netns add)"
    probe = f"mhprobe{os.getpid()}"
    try:
        run("ip", "netns", "add", probe)
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"ip netns add failed: {exc}"
    run("ip", "netns", "del", probe)
    return None


@dataclass
class Namespace:
    name: str
    outer: str  # host-side address (the forwarders listen here)
    inner: str  # namespace-side address (the app listens here)

    def create(self) -> None:
        host_if, ns_if = f"{self.name}h", f"{self.name}n"
        run("ip", "netns", "add", self.name)
        run("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        run("ip", "link", "set", ns_if, "netns", self.name)
        run("ip", "addr", "add", f"{self.outer}/30", "dev", host_if)
        run("ip", "link", "set", host_if, "up")
        inside = ("ip", "netns", "exec", self.name)
        run(*inside, "ip", "addr", "add", f"{self.inner}/30", "dev", ns_if)
        run(*inside, "ip", "link", "set", ns_if, "up")
        run(*inside, "ip", "link", "set", "lo", "up")

    def destroy(self) -> None:
        # deleting the namespace deletes its end of the veth, and so the pair
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        subprocess.run(["ip", "link", "del", f"{self.name}h"], capture_output=True)


class Forwarder:
    """TCP relays (address, port) -> 127.0.0.1:port, on an event loop of their own thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.servers: list[asyncio.AbstractServer] = []
        self.thread.start()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError):
            writer.close()

    def listen(self, address: str, port: int) -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

        async def start() -> asyncio.AbstractServer:
            return await asyncio.start_server(handle, address, port, reuse_address=True)

        self.servers.append(asyncio.run_coroutine_threadsafe(start(), self.loop).result(10))

    def close(self) -> None:
        async def stop() -> None:
            for server in self.servers:
                server.close()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)  # its own session: gunicorn and its workers
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)


@dataclass
class Cluster:
    """Namespaces `a`, `b` (app hosts) and `w` (worker), the relays, the started processes."""

    logs: Path
    env: dict[str, str]
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    forwarder: Forwarder | None = None

    def url(self, host: str) -> str:
        return f"http://{self.namespaces[host].inner}:{APP_PORT}"

    def service_env(self, host: str) -> dict[str, str]:
        """The shared services as seen from inside namespace `host`."""
        outer = self.namespaces[host].outer
        env = dict(self.env)
        env["DATABASE_URL"] = env["DATABASE_URL"].replace("127.0.0.1", outer)
        for name in ("REDIS_URL", "JOB_BROKER_URL"):
            if name in env:
                env[name] = env[name].replace("127.0.0.1", outer)
        return env

    def spawn(self, host: str, name: str, argv: list[str],
              extra: Mapping[str, str] | None = None) -> Process:
        env = self.service_env(host) | dict(extra or {})
        log = self.logs / f"{name}.log"
        out = open(log, "ab")  # noqa: SIM115 - the child keeps it; closed with the process
        popen = subprocess.Popen(["ip", "netns", "exec", self.namespaces[host].name, *argv],
                                 cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        out.close()
        process = self.processes[name] = Process(name, popen, log)
        return process

    def serve(self, host: str, workers: int = 2) -> Process:
        # every gunicorn worker's metrics in one folder, emptied before the start (deploy.md)
        metrics = self.logs / f"metrics-{host}"
        metrics.mkdir(exist_ok=True)
        return self.spawn(host, f"app-{host}", [
            sys.executable, "-m", "gunicorn", "--workers", str(workers), "--timeout", "120",
            "--bind", f"{self.namespaces[host].inner}:{APP_PORT}",
            "tests.multihost.host_app:app"], {"PROMETHEUS_MULTIPROC_DIR": str(metrics)})

    def work(self, host: str, name: str = "worker") -> Process:
        """`flask worker` (jobs and the scheduler) in namespace `host`; back once consuming."""
        process = self.spawn(host, name, [
            sys.executable, "-m", "flask", "--app", "tests.multihost.host_app", "worker",
            "--threads", "1"])
        deadline = time.monotonic() + 60
        while "worker consuming" not in process.tail():
            if process.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{process.tail()}")
            time.sleep(0.2)
        return process

    def wait_ready(self, host: str, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        process = self.processes[f"app-{host}"]
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(f"app host {host} exited:\n{process.tail()}")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(self.url(host) + "/readyz", timeout=3) as r:
                if r.status == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"app host {host} not ready in {seconds}s:\n{process.tail()}")

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        if self.forwarder is not None:
            self.forwarder.close()
        for namespace in self.namespaces.values():
            namespace.destroy()


@contextlib.contextmanager
def cluster(logs: Path, env: Mapping[str, str]) -> Iterator[Cluster]:
    """The namespaces and the relays (no process yet); everything goes away on exit."""
    tag = os.getpid() % 10000
    octet = 16 + (os.getpid() % 60) * 3  # three /30s of 10.213.<octet..octet+2>.0
    made = Cluster(logs, dict(env))
    try:
        made.forwarder = Forwarder()
        for i, host in enumerate(("a", "b", "w")):
            ns = Namespace(f"mh{host}{tag}", f"10.213.{octet + i}.1", f"10.213.{octet + i}.2")
            made.namespaces[host] = ns
            ns.create()
            for port in PORTS.values():
                made.forwarder.listen(ns.outer, port)
        yield made
    finally:
        made.stop()


def base_env(database_url: str, redis_url: str, **extra: Any) -> dict[str, str]:
    """What every host and the worker get: production settings, one secret, the services."""
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONPATH")}
    env.update({
        "ADMIN_ENV": "production",
        "SECRET_KEY": "multihost-" + "k" * 40,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env
