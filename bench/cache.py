"""The cache of upstream's projects: what a cold, a warm and an offline install cost, next to installing straight
from upstream; one fetch per file under a crowd; flat memory for a 500 MB file.

In one run, on loopback and the Docker bridge, bounded:
  set       real wheels of a 20-package set (requests and its dependencies, rich, jinja2, numpy and more,
            for this machine) downloaded once from PyPI into bench/.wheels/ (skipped when there), served by
            the stand-in upstream (tests/upstream_standin.py: a real PEP 691/503 index) with a 30 ms delay on
            every request, a modelled internet round trip.
  installs  pip and uv into a fresh target folder, each with no client cache: (a) straight from the stand-in,
            (b) through the app's server in Docker (fallback=cache) cold, (c) warm, (d) warm with the stand-in
            stopped. Targets: (b) <= 1.3 x (a); (c) at least 3 x faster than (a); (d) succeeds.
  fetch     what the index itself adds or saves, without the clients' own work (unpacking, writing files):
            one client reads each project's page and downloads its file, one after another, straight from the
            stand-in, then through the index cold, warm, and warm with the stand-in stopped.
  crowd     20 clients at once ask the cold index for the same 20 files: the stand-in's count of each file's
            fetches (target: 1 each) and the errors (target: 0).
  large     a 500 MB file fetched through the cache by one client reading slowly, the server's RSS (every
            process of the container) sampled all the while: growth over the idle RSS. Target: <= 30 MB.

    .venv/bin/python bench/cache.py [--delay-ms 30] [--large-mb 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import docker
import psutil
import requests

from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from tests.conftest import free_port
from tests.upstream_standin import JSON_TYPE, StandInIndex

SET = ["requests", "urllib3", "idna", "certifi", "charset-normalizer", "six", "python-dateutil", "attrs",
       "packaging", "pyparsing", "click", "jinja2", "markupsafe", "pyyaml", "rich", "pygments", "markdown-it-py",
       "mdurl", "typing-extensions", "numpy"]  # fmt: skip
WHEELS = Path(__file__).resolve().parent / ".wheels"
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"


def ensure_wheels() -> list[Path]:
    WHEELS.mkdir(exist_ok=True)
    if len(list(WHEELS.glob("*.whl"))) < len(SET):
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary", ":all:", "--dest",
                        str(WHEELS), *SET], check=True)  # fmt: skip
    return sorted(WHEELS.glob("*.whl"))


def install(tool: str, index: str, scratch: Path) -> float:
    target = Path(tempfile.mkdtemp(dir=scratch))
    if tool == "pip":
        host = index.split("://", 1)[1].split(":", 1)[0]  # plain HTTP beyond localhost: pip asks it be named
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-cache-dir", "--no-compile", "--isolated",
                   "--target", str(target), "--index-url", index, "--trusted-host", host, *SET]  # fmt: skip
    else:
        command = [UV, "pip", "install", "--quiet", "--no-cache", "--target", str(target), "--index-url", index,
                   "--no-config", *SET]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["NO_PROXY"] = env["no_proxy"] = "*"
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    seconds = time.perf_counter() - began
    shutil.rmtree(target, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{tool} install from {index} failed:\n{done.stderr[-2000:]}")
    return seconds


def server_rss(container) -> int:
    total = 0
    for row in container.top()["Processes"]:
        with contextlib.suppress(psutil.Error):
            total += psutil.Process(int(row[1])).memory_info().rss
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument("--large-mb", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="installs of each kind (the median is quoted)")
    parser.add_argument("--tools", default="pip,uv", help="the clients the installs are timed with")
    parser.add_argument("--only-installs", action="store_true", help="skip the crowd and the large file")
    args = parser.parse_args()
    wheels = ensure_wheels()
    print(f"set: {len(wheels)} wheels, {sum(p.stat().st_size for p in wheels) / 1e6:.1f} MB")
    client = docker.from_env()
    gateway = client.networks.get("bridge").attrs["IPAM"]["Config"][0]["Gateway"]
    scratch = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    os.environ["HOME"] = str(scratch)
    upstream_folder = scratch / "upstream"
    upstream_folder.mkdir()
    for wheel in wheels:
        os.link(wheel, upstream_folder / wheel.name) if wheel.stat().st_dev == scratch.stat().st_dev else shutil.copy(
            wheel, upstream_folder / wheel.name
        )
    standin = StandInIndex(upstream_folder, host=gateway, delay=args.delay_ms / 1000).start()
    results: dict[str, dict[str, list[float]]] = {tool: {} for tool in args.tools.split(",")}
    try:
        for round_number in range(args.rounds):
            services, url = fresh_index(scratch / f"index-{round_number}", standin.url)
            try:
                for tool in results:
                    rows = results[tool]
                    if not standin._server:
                        standin.start()
                    rows.setdefault("straight", []).append(install(tool, standin.url, scratch))
                    services.cache.clear(None)
                    rows.setdefault("cold", []).append(install(tool, f"{url}/simple/", scratch))
                    rows.setdefault("warm", []).append(install(tool, f"{url}/simple/", scratch))
                    standin.stop()
                    rows.setdefault("offline", []).append(install(tool, f"{url}/simple/", scratch))
                    standin.start()
            finally:
                services.server.stop()
        print(f"installs ({args.rounds} rounds each, medians; upstream delay {args.delay_ms:.0f} ms a request):")
        for tool, rows in results.items():
            median = {kind: statistics.median(times) for kind, times in rows.items()}
            print(
                f"  {tool:<4} straight {median['straight']:.2f} s, cold {median['cold']:.2f} s "
                f"({median['cold'] / median['straight']:.2f} x), warm {median['warm']:.2f} s "
                f"({median['straight'] / median['warm']:.1f} x faster), offline {median['offline']:.2f} s"
            )
        if not args.only_installs:
            fetches(scratch, standin, args.rounds)
            crowd(scratch, standin)
            large(scratch, standin, args.large_mb, client)
    finally:
        standin.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def fresh_index(folder: Path, upstream: str) -> tuple[DeskServices, str]:
    services = DeskServices.open(open_data_dir(folder))
    settings = ServerSettings(port=free_port(), runtime="docker", fallback="cache", upstream=upstream)
    url = services.server.save_and_start(settings).url
    return services, url


def fetch_all(base: str, standin: StandInIndex) -> float:
    """Seconds for one client to read every project's page and download its file, one after another."""
    began = time.perf_counter()
    with requests.Session() as session:
        for project in SET:
            page = session.get(f"{base}/{project}/", headers={"Accept": JSON_TYPE}, timeout=60)
            page.raise_for_status()
            for entry in page.json()["files"]:
                if (standin.folder / entry["filename"]).exists():
                    session.get(f"{base}/{project}/{entry['url']}", timeout=300).raise_for_status()
    return time.perf_counter() - began


def fetches(scratch: Path, standin: StandInIndex, rounds: int) -> None:
    times: dict[str, list[float]] = {}
    for number in range(rounds):
        services, url = fresh_index(scratch / f"fetch-{number}", standin.url)
        try:
            times.setdefault("straight", []).append(fetch_all(standin.url.rstrip("/"), standin))
            times.setdefault("cold", []).append(fetch_all(f"{url}/simple", standin))
            times.setdefault("warm", []).append(fetch_all(f"{url}/simple", standin))
            standin.stop()
            times.setdefault("offline", []).append(fetch_all(f"{url}/simple", standin))
            standin.start()
        finally:
            services.server.stop()
    median = {kind: statistics.median(values) for kind, values in times.items()}
    print(f"fetch (pages and files, one client, medians of {rounds}): straight {median['straight']:.2f} s, cold "
          f"{median['cold']:.2f} s ({median['cold'] / median['straight']:.2f} x), warm {median['warm']:.2f} s "
          f"({median['straight'] / median['warm']:.1f} x faster), offline {median['offline']:.2f} s")  # fmt: skip


def crowd(scratch: Path, standin: StandInIndex) -> None:
    services, url = fresh_index(scratch / "crowd", standin.url)
    try:
        session = requests.Session()
        links = []
        for project in SET:
            page = session.get(f"{url}/simple/{project}/", headers={"Accept": JSON_TYPE}, timeout=60).json()
            ours = [f for f in page["files"] if (standin.folder / f["filename"]).exists()]
            links += [(f"{url}/simple/{project}/{f['url']}", f["filename"]) for f in ours]
        before = {name: standin.requests[f"/files/{name}"] for _, name in links}
        errors = []

        def one_client(_: int) -> None:
            with requests.Session() as own:
                for link, name in links:
                    answer = own.get(link, timeout=300)
                    if answer.status_code != 200 or len(answer.content) != (standin.folder / name).stat().st_size:
                        errors.append(f"{name}: {answer.status_code}")

        began = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            list(pool.map(one_client, range(20)))
        fetches = [standin.requests[f"/files/{name}"] - before[name] for _, name in links]
        print(f"crowd: 20 clients x {len(links)} cold files in {time.perf_counter() - began:.1f} s: upstream fetches "
              f"per file {min(fetches)}..{max(fetches)} (target 1), errors {len(errors)} (target 0)")  # fmt: skip
    finally:
        services.server.stop()


def large(scratch: Path, standin: StandInIndex, megabytes: int, client) -> None:
    name = "bigwheel-1.0-py3-none-any.whl"
    with open(standin.folder / name, "wb") as out:
        for _ in range(megabytes):
            out.write(os.urandom(1024 * 1024))
    services, url = fresh_index(scratch / "large", standin.url)
    try:
        container = client.containers.get(services.data_dir.container_name)
        page = requests.get(f"{url}/simple/bigwheel/", headers={"Accept": JSON_TYPE}, timeout=60).json()
        requests.get(f"{url}/simple/six/", timeout=60)  # the worker warm: imports, a page rendered
        idle = server_rss(container)
        peak, stop = [idle], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak.append(server_rss(container))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        size = 0
        with requests.get(f"{url}/simple/bigwheel/{page['files'][0]['url']}", stream=True, timeout=600) as answer:
            for chunk in answer.iter_content(256 * 1024):
                size += len(chunk)
                time.sleep(0.0005)  # a client slower than the upstream: the file waits on disk, not in memory
        stop.set()
        sampler.join()
        print(f"large: {size / 2**20:.0f} MiB through the cache; server RSS idle {idle / 2**20:.1f} MiB, peak "
              f"{max(peak) / 2**20:.1f} MiB: growth {(max(peak) - idle) / 2**20:.1f} MiB (target <= 30)")  # fmt: skip
    finally:
        services.server.stop()
        (standin.folder / name).unlink()


if __name__ == "__main__":
    main()
