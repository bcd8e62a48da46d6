"""Resolving a chain of the team's projects: how long it takes and what the server sends, three servers.

An index of 30 projects in a dependency chain (proj-00 requires proj-01 ... requires proj-29),
each one wheel of 10 MB of incompressible payload and one sdist, in one packages folder, served by:
  app       PyPI Desk's server (the launcher in the official image): PEP 658 ``.metadata`` files,
            ``data-core-metadata`` on its pages, Range requests (206)
  image     the same image with its default arguments (plain pypiserver: no metadata files)
  static    baseline: PEP 503 pages pre-rendered with ``#sha256=`` and ``data-core-metadata``, and
            ``FILE.metadata`` beside each wheel, served by ``python -m http.server`` in a container
            of the same image
For each server, two clients with a cold cache resolve proj-00: ``uv pip compile --no-cache`` and
``pip install --dry-run --no-cache-dir --report``. Each (server, client) gets the median wall time of
the rounds and the bytes the server sent (its container's network tx_bytes, before and after; the
most of any round), and the resolution must succeed (exit code 0, proj-29 in its result). Servers
are warmed first (every page read once), so a round is a client's cold start against a warm
server. Targets: the app sends at most 1% of the wheels' size for both clients, takes at most 0.3x
the image's time and at most 2x the static pages'. Measured on loopback, then over a throttled link
(``--link-mbit``, 100 by default; 0: not at all): the clients talk to a relay on 127.0.0.1, in this
process, that forwards to the server's port and holds each direction to that rate with a token bucket
its connections share (bandwidth only, no latency); timed first with one wheel; as many rounds (image +
pip moves every wheel, 25 s a round at 100 Mbit/s; 2.5 min in all). Each has its table and verdicts.
Every container is labelled ``io.github.pypidesk.bench=resolve`` and removed at the end, even on failure.

    .venv/bin/python bench/resolve.py [--projects 30] [--size-mb 10] [--rounds 3] [--link-mbit 100] [--logs DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import docker
import requests
from docker.models.containers import Container
from docker.types import Mount

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.server.health import wait_until_answers
from tests.conftest import free_port
from tests.helpers import make_sdist, make_wheel

IMAGE = "pypiserver/pypiserver:latest"
LABELS = {"io.github.pypidesk.bench": "resolve"}
SERVERS = ("app", "image", "static")
CLIENTS = ("uv", "pip")
Key = tuple[str, str]  # (server, client)
Measures = tuple[dict[Key, list[float]], dict[Key, list[int]], dict[Key, str]]  # times, bytes sent, failures
Reader, Writer = asyncio.StreamReader, asyncio.StreamWriter
TIMEOUT = 900.0  # one resolution, at most
PAGE = '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>{title}</title>\
</head>\n<body><h1>{title}</h1>\n{links}\n</body></html>\n'


def name_of(number: int) -> str:
    return f"proj-{number:02d}"


def make_index(packages: Path, static: Path, projects: int, size: int) -> int:
    """The chain's wheels and sdists in ``packages``; in ``static``, the pages (``simple/``) and the files
    (``packages/``: hard links, and each wheel's ``.metadata``). Returns the wheels' total size."""
    payload, total = os.urandom(size), 0  # made once; a prefix per project makes every file differ
    (static / "packages").mkdir(parents=True)
    for number in range(projects):
        name = name_of(number)
        needs = f"Requires-Dist: {name_of(number + 1)}" if number + 1 < projects else ""
        wheel = make_wheel(packages, name, "1.0", f"{name}\n".encode() + payload, needs)
        sdist = make_sdist(packages, name.replace("-", "_"), "1.0")
        total += wheel.stat().st_size
        links = []
        for path in (wheel, sdist):
            try:
                os.link(path, static / "packages" / path.name)
            except OSError:
                shutil.copyfile(path, static / "packages" / path.name)
            attributes = f'href="../../packages/{path.name}#sha256={hashlib.sha256(path.read_bytes()).hexdigest()}"'
            if path == wheel:
                with zipfile.ZipFile(wheel) as archive:
                    metadata = archive.read(f"{name.replace('-', '_')}-1.0.dist-info/METADATA")
                (static / "packages" / f"{path.name}.metadata").write_bytes(metadata)
                digest = f"sha256={hashlib.sha256(metadata).hexdigest()}"
                attributes += f' data-dist-info-metadata="{digest}" data-core-metadata="{digest}"'
            links.append(f"<a {attributes}>{path.name}</a><br>")
        (static / "simple" / name).mkdir(parents=True)
        page = PAGE.format(title=f"Links for {name}", links="\n".join(links))
        (static / "simple" / name / "index.html").write_text(page)
    names = [name_of(number) for number in range(projects)]
    index = PAGE.format(title="Simple Index", links="\n".join(f'<a href="{n}/">{n}</a><br>' for n in names))
    (static / "simple" / "index.html").write_text(index)
    return total


def start_container(
    client: docker.DockerClient, label: str, mounts: list[Mount], health: str, **options: object
) -> tuple[Container, str]:
    """One of the image's containers on a free loopback port, once it answers ``health``."""
    port = free_port()
    container = client.containers.run(
        IMAGE, name=f"bench-resolve-{label}-{port}", labels=LABELS, detach=True, mounts=mounts,
        ports={"8080/tcp": ("127.0.0.1", port)}, **options,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def still_running() -> bool:
        container.reload()
        return container.status in ("created", "running")

    if not wait_until_answers(f"{url}{health}", still_running, 120):
        raise SystemExit(f"{label} did not answer: {container.logs(tail=20).decode('utf-8', 'replace')}")
    return container, url


def sent_bytes(container: Container) -> int:
    """What the container has sent so far, on all its interfaces."""
    networks = container.stats(stream=False, one_shot=True).get("networks", {})
    return sum(interface["tx_bytes"] for interface in networks.values())


class Bucket:
    """A token bucket of ``rate`` bytes a second, bursts of at most 20 ms' worth: ``take`` returns once
    ``count`` bytes may go (it runs into debt, then sleeps it off). Callers take turns, as on one link."""

    def __init__(self, rate: float) -> None:
        self.rate, self.burst = rate, rate / 50
        self.tokens, self.stamp = self.burst, time.monotonic()
        self.lock = asyncio.Lock()

    async def take(self, count: int) -> None:
        async with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate) - count
            self.stamp = now
            if self.tokens < 0:
                await asyncio.sleep(-self.tokens / self.rate)


class Relay:
    """TCP relays on 127.0.0.1, each to one server's port and throttled to ``rate`` bytes a second each way,
    run by an event loop in a thread. An end of file is passed on as one (keep-alive connections stay
    open as long as both ends keep them)."""

    def __init__(self, rate: float) -> None:
        self.rate, self.loop = rate, asyncio.new_event_loop()
        self.servers: list[asyncio.Server] = []
        self.open_writers: set[asyncio.StreamWriter] = set()
        self.thread = threading.Thread(target=self.loop.run_forever, name="relay", daemon=True)
        self.thread.start()

    def open(self, url: str) -> str:
        """A relay to ``url`` (http://127.0.0.1:PORT); returns the relay's own URL."""
        port = int(url.rsplit(":", 1)[1])

        async def start() -> asyncio.Server:
            up, down = Bucket(self.rate), Bucket(self.rate)  # the link's two directions
            return await asyncio.start_server(lambda r, w: self.serve(r, w, port, up, down), "127.0.0.1", 0)

        server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    async def serve(self, client_in: Reader, client_out: Writer, port: int, up: Bucket, down: Bucket) -> None:
        try:
            server_in, server_out = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_out.close()
            return
        self.open_writers |= {client_out, server_out}
        try:  # a reset on either side (or a write to a closed one) ends the whole connection
            with contextlib.suppress(OSError):
                await asyncio.gather(pump(client_in, server_out, up), pump(server_in, client_out, down))
        finally:
            for writer in (client_out, server_out):
                writer.close()
                self.open_writers.discard(writer)

    def close(self) -> None:
        async def stop() -> None:
            for closable in [*self.servers, *self.open_writers]:
                closable.close()
            await asyncio.sleep(0.1)  # the transports' last callbacks close their sockets

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def pump(source: Reader, sink: Writer, bucket: Bucket) -> None:
    """``source`` to ``sink`` at the bucket's pace; at its end of file, the sink's end of writing."""
    while data := await source.read(65536):
        await bucket.take(len(data))
        sink.write(data)
        await sink.drain()
    if not sink.is_closing() and sink.can_write_eof():
        sink.write_eof()


def client_env() -> dict[str, str]:
    """This environment without pip's and uv's own settings (an index URL, a cache folder...)."""
    return {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "UV_"))}


def uv_path() -> str:
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        raise SystemExit("uv is missing: install it into the venv (pip install uv)")
    return found


def resolve(tool: str, url: str, work: Path, last: str) -> tuple[float, bool, str]:
    """(seconds, succeeded, what went wrong) for one cold resolution of proj-00 against ``url``."""
    report = work / f"report-{time.monotonic_ns()}.json"
    if tool == "uv":
        (work / "requirements.in").write_text(f"{name_of(0)}\n")
        command = [uv_path(), "pip", "compile", "--no-cache", "--no-config", "--python", sys.executable,
                   "--index-url", f"{url}/simple/", "requirements.in"]  # fmt: skip
    else:
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-cache-dir", "--isolated",
                   "--disable-pip-version-check", "--quiet", "--report", str(report),
                   "--index-url", f"{url}/simple/", name_of(0)]  # fmt: skip
    began = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=work, env=client_env(), capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - began, False, f"no result within {TIMEOUT:.0f} s"
    took = time.perf_counter() - began
    if done.returncode != 0:
        return took, False, f"exit code {done.returncode}: {done.stderr.strip()[-600:]}"
    if tool == "uv":
        found = f"{last}==" in done.stdout
    else:
        installs = json.loads(report.read_text()).get("install", [])
        found = any(item["metadata"]["name"].lower().replace("_", "-") == last for item in installs)
    return took, found, "" if found else f"{last} is not in the resolution"


def human(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return ""


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def measure(urls: dict[str, str], containers: dict[str, Container], rounds: int, work: Path, last: str) -> Measures:
    """Each round, each server, each client: the time, the bytes the server sent, what went wrong."""
    measures: Measures = ({}, {}, {})
    times, sent, failures = measures
    for _ in range(rounds):
        for label in SERVERS:
            for tool in CLIENTS:
                before = sent_bytes(containers[label])
                took, ok, why = resolve(tool, urls[label], work, last)
                sent.setdefault((label, tool), []).append(sent_bytes(containers[label]) - before)
                times.setdefault((label, tool), []).append(took)
                if not ok:
                    failures[(label, tool)] = why
    return measures


def report(title: str, measures: Measures, wheels: int) -> None:
    """The table of one round of measures, then the targets' verdicts."""
    times, sent, failures = measures
    print(f"\n{title}\n  {'server':<7} {'client':<6} {'time p50':>9} {'sent (max)':>11} {'of wheels':>10}  result")
    for label in SERVERS:
        for tool in CLIENTS:
            key = (label, tool)
            result = "ok" if key not in failures else "FAILED: " + failures[key].splitlines()[0][:80]
            print(f"  {label:<7} {tool:<6} {statistics.median(times[key]):8.2f}s {human(max(sent[key])):>11} "
                  f"{100 * max(sent[key]) / wheels:9.2f}%  {result}")  # fmt: skip
    for key, why in failures.items():
        print(f"\n  {key[0]} + {key[1]} failed: {why}")
    print("Targets:")
    for tool in CLIENTS:
        app_ok, app_time = ("app", tool) not in failures, statistics.median(times[("app", tool)])
        share = max(sent[("app", tool)]) / wheels
        print(f"  {verdict(app_ok and share <= 0.01)}  {tool}: app sends <= 1% of the wheels ({100 * share:.2f}%)")
        for other, factor in (("image", 0.3), ("static", 2.0)):
            other_time = statistics.median(times[(other, tool)])
            print(f"  {verdict(app_ok and app_time <= factor * other_time)}  {tool}: app time <= {factor:g}x {other}'s "
                  f"({app_time / other_time:.2f}x: {app_time:.2f} s vs {other_time:.2f} s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=30)
    parser.add_argument("--size-mb", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--link-mbit", type=float, default=100.0, help="the throttled round's rate; 0: no such round")
    parser.add_argument("--logs", type=Path, help="save each server's container log here before it is removed")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still cleans up (the finally below)
    client = docker.from_env()
    last = name_of(args.projects - 1)
    scratch = Path(tempfile.mkdtemp(prefix="bench-resolve-"))
    services: DeskServices | None = None
    containers: dict[str, Container] = {}
    relay: Relay | None = None
    try:
        services = DeskServices.open(open_data_dir(scratch / "data"))
        services.data_dir.ensure()
        began = time.monotonic()
        size = int(args.size_mb * 1024 * 1024)
        wheels = make_index(services.data_dir.packages_dir, scratch / "static", args.projects, size)
        print(f"{args.projects} projects in a chain, {human(wheels)} of wheels (+ sdists), "
              f"made in {time.monotonic() - began:.1f} s")  # fmt: skip

        urls: dict[str, str] = {}
        app = services.server.save_and_start(ServerSettings(port=free_port(), runtime="docker", auth="none"))
        urls["app"], containers["app"] = app.url.rstrip("/"), client.containers.get(services.data_dir.container_name)
        containers["image"], urls["image"] = start_container(
            client, "image", [Mount("/data/packages", str(services.data_dir.packages_dir), type="bind")], "/health",
            environment={"GUNICORN_CMD_ARGS": "--access-logfile -"},  # as the app's; the command is the default
        )  # fmt: skip
        containers["static"], urls["static"] = start_container(
            client, "static", [Mount("/srv", str(scratch / "static"), type="bind", read_only=True)], "/simple/",
            entrypoint=["python3", "-m", "http.server", "8080", "--directory", "/srv"], user="pypiserver",
        )  # fmt: skip

        for label in SERVERS:  # warm: every page read once (a server's first listing reads the files)
            for path in ["/simple/", *(f"/simple/{name_of(n)}/" for n in range(args.projects))]:
                requests.get(urls[label] + path, timeout=600).raise_for_status()
        page = requests.get(f"{urls['app']}/simple/{name_of(0)}/", timeout=60).text
        if "data-core-metadata" not in page:
            print("  note: the app's page has no data-core-metadata (it serves no .metadata for this wheel)")
        work = scratch / "work"
        work.mkdir()
        for tool in CLIENTS:  # the clients' own first start (disk cache, bytecode) is not the index's
            resolve(tool, urls["static"], work, last)

        report(f"Loopback, {args.rounds} round(s):", measure(urls, containers, args.rounds, work, last), wheels)
        if args.link_mbit > 0:
            relay = Relay(args.link_mbit * 1e6 / 8)
            linked = {label: relay.open(urls[label]) for label in SERVERS}
            wheel = min((scratch / "static" / "packages").glob("*.whl")).name
            began = time.perf_counter()
            got = len(requests.get(f"{linked['static']}/packages/{wheel}", timeout=600).content)
            took = time.perf_counter() - began
            print(f"\nThrottled link check: one {human(got)} wheel through the relay in {took:.2f} s "
                  f"({got * 8 / took / 1e6:.1f} Mbit/s)")  # fmt: skip
            title = f"Throttled link, {args.link_mbit:g} Mbit/s each way, {args.rounds} round(s):"
            report(title, measure(linked, containers, args.rounds, work, last), wheels)
        print("\nNote: page p50 at 50,000 files within 10% of today's figure: measured by bench/serve.py, not here")
    finally:
        if relay is not None:
            with contextlib.suppress(Exception):
                relay.close()
        if args.logs is not None and containers:
            args.logs.mkdir(parents=True, exist_ok=True)
            for label, container in containers.items():
                with contextlib.suppress(docker.errors.DockerException):
                    (args.logs / f"{label}.log").write_bytes(container.logs())
        for label in ("image", "static"):
            if label in containers:
                with contextlib.suppress(docker.errors.DockerException):
                    containers[label].remove(force=True)
        if services is not None:
            with contextlib.suppress(Exception):
                services.server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
