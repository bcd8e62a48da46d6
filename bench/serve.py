"""Serving a big index: the app's server against the image's default and pre-rendered static pages.

For 5,000 and 50,000 files (projects of 10 versions each, tiny real wheels), in one run:
  app       PyPI Desk's server: the launcher in the official image (fast, fresh pages)
  image     the same image with its default arguments (pypiserver's cached backend, preloaded)
  before    the app's server as it was: plain pypi-server with --backend simple-dir
  static    baseline: the same pages pre-rendered, served by `python -m http.server`
it measures p50/p95 of a project page and of /simple/, `pip download --no-deps` of 20
names, how long a file copied in by hand takes to show, and the server's memory. Then a
load round on the app's and the old server: 50 clients (Apache's ab) reading pages and
files for 30 s while twine uploads 20 files and a user is added; requests per second, p95,
errors, and whether every upload is listed with its right sha256 afterwards. Loopback
only, bounded in time.

    .venv/bin/python bench/serve.py [--sizes 5000 50000] [--seconds 30]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import docker
import requests
from docker.types import Mount

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gui.services.core import DeskServices
from gui.services.index.settings import ServerSettings
from gui.services.server.command import pypiserver_args
from gui.services.server.health import wait_until_answers
from tests.conftest import free_port
from tests.helpers import make_wheel

IMAGE = "pypiserver/pypiserver:latest"
VERSIONS = 10
CLIENTS = 50


def tiny_wheel(folder: Path, name: str, version: str) -> None:
    """A real, installable wheel of about 1 KB (made in memory: 50,000 of them)."""
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": "",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b'=').decode()},{len(t)}"
        for p, t in files.items()
    ]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    (folder / f"{name}-{version}-py3-none-any.whl").write_bytes(buffer.getvalue())


def make_index(folder: Path, files: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    projects = [f"project_{n}" for n in range(files // VERSIONS)]
    for project in projects:
        for v in range(VERSIONS):
            tiny_wheel(folder, project, f"1.0.{v}")
    return [p.replace("_", "-") for p in projects]


_METADATA_ATTRIBUTES = re.compile(rb' data-(?:dist-info|core)-metadata="[^"]*"')


def pre_render(url: str, projects: list[str], root: Path, packages: Path) -> None:
    """The app's own pages, saved as files, beside the packages: what a static server would serve (without
    the PEP 658 attributes: this baseline has no ``.metadata`` files; bench/resolve.py measures those)."""
    (root / "simple").mkdir(parents=True)
    (root / "simple" / "index.html").write_bytes(requests.get(f"{url}/simple/", timeout=60).content)
    for project in projects:
        page = root / "simple" / project / "index.html"
        page.parent.mkdir()
        page.write_bytes(_METADATA_ATTRIBUTES.sub(b"", requests.get(f"{url}/simple/{project}/", timeout=60).content))
    (root / "packages").symlink_to(packages)


def timed_gets(url: str, paths: list[str], budget: float) -> list[float]:
    session, took = requests.Session(), []
    deadline = time.monotonic() + budget
    for path in paths:
        began = time.perf_counter()
        reply = session.get(url + path, timeout=120, allow_redirects=False)
        took.append(time.perf_counter() - began)
        assert reply.status_code == 200, (url + path, reply.status_code)
        if time.monotonic() > deadline:
            break
    return took


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


def pip_download(url: str, names: list[str], scratch: Path) -> float:
    out = scratch / f"pip-{time.monotonic_ns()}"
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-cache-dir", "-d", str(out),
         "--index-url", f"{url}/simple/", *names],
        check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - began


def freshness(url: str, packages: Path, limit: float = 10.0) -> float | None:
    """Seconds until a wheel copied in by hand is on its page (None: not within ``limit``)."""
    name = f"copied_{time.monotonic_ns()}"
    tiny_wheel(packages, name, "1.0")
    began = time.monotonic()
    while time.monotonic() - began < limit:
        if (
            requests.get(f"{url}/simple/{name.replace('_', '-')}/", timeout=30, allow_redirects=False).status_code
            == 200
        ):
            return time.monotonic() - began
        time.sleep(0.02)
    return None


def rss_mb(client: docker.DockerClient, container_name: str) -> float:
    stats = client.containers.get(container_name).stats(stream=False)
    usage = stats["memory_stats"]
    return (usage.get("usage", 0) - usage.get("stats", {}).get("inactive_file", 0)) / 1024**2


def start_container(client, name: str, packages: Path, auth_dir: Path, port: int, command: list[str] | None):
    mounts = [Mount("/data/packages", str(packages), type="bind"), Mount("/data/auth", str(auth_dir), type="bind")]
    container = client.containers.run(
        IMAGE, command=command, name=name, detach=True, mounts=mounts, ports={"8080/tcp": ("127.0.0.1", port)},
        environment={"GUNICORN_CMD_ARGS": "--access-logfile /dev/null"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    if not wait_until_answers(f"{url}/health", lambda: True, 600):  # /simple/ may take longer than a poll
        raise SystemExit(f"{name} did not answer: {container.logs(tail=20).decode()}")
    return url


def load_round(url: str, projects: list[str], services: DeskServices, scratch: Path, seconds: float) -> dict:
    """50 clients (Apache's ab, which costs the server's CPU little) on pages and files for ``seconds``,
    while twine uploads 20 files and a user is added; then every upload is looked for on its page."""
    rng = random.Random(11)
    page_urls = [f"{url}/simple/{rng.choice(projects)}/" for _ in range(8)]
    file_urls = []
    for project in rng.sample(projects, 2):
        href = requests.get(f"{url}/simple/{project}/", timeout=120).text.split('href="', 2)[1].split("#", 1)[0]
        file_urls.append(requests.compat.urljoin(f"{url}/simple/{project}/", href))
    ab = ["ab", "-q", "-s", "600", "-t", str(seconds), "-n", "9999999", "-c", str(CLIENTS // 10)]
    clients = [
        subprocess.Popen([*ab, target], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for target in page_urls + file_urls
    ]
    uploads = [make_wheel(scratch / "uploads", f"uploaded_{scratch.name}_{n}", "1.0") for n in range(20)]
    failed_uploads = 0
    for number, wheel in enumerate(uploads):
        twine = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--repository-url", url,
                 "-u", "bench", "-p", "bench-pw", str(wheel)]  # fmt: skip
        failed_uploads += subprocess.run(twine, capture_output=True).returncode != 0
        if number == 10:
            services.users.add(f"added-under-load-{time.monotonic_ns()}", "pw", "apr1")
    rps, p95s, errors = 0.0, [], failed_uploads
    for client in clients:
        out = client.communicate(timeout=seconds + 120)[0]
        rps += float(_ab(out, r"Requests per second:\s+([\d.]+)"))
        p95s.append(float(_ab(out, r"\s95%\s+(\d+)")))
        errors += int(_ab(out, r"Failed requests:\s+(\d+)")) + int(_ab(out, r"Non-2xx responses:\s+(\d+)", "0"))
    listed = 0
    for wheel in uploads:
        project = wheel.name.split("-")[0].replace("_", "-")
        page = requests.get(f"{url}/simple/{project}/", timeout=120).text
        listed += f"{wheel.name}#sha256={hashlib.sha256(wheel.read_bytes()).hexdigest()}" in page
    return {"rps": rps, "p95": max(p95s), "errors": errors, "listed": listed}


def _ab(output: str, pattern: str, default: str | None = None) -> str:
    found = re.search(pattern, output)
    if found is None:
        if default is not None:
            return default
        raise SystemExit(f"ab said:\n{output}")
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    client = docker.from_env()
    rng = random.Random(7)
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as scratch_name:
            scratch = Path(scratch_name)
            services = DeskServices.open(scratch / "data")
            services.data_dir.ensure()
            services.users.add("bench", "bench-pw", "apr1")
            began = time.monotonic()
            projects = make_index(services.data_dir.packages_dir, size)
            print(f"\n{size:,} files ({len(projects):,} projects), made in {time.monotonic() - began:.0f} s")
            pages = [f"/simple/{rng.choice(projects)}/" for _ in range(200)]
            names = rng.sample(projects, 20)
            urls: dict[str, str] = {}
            containers: dict[str, str] = {}
            app_port = free_port()
            app = services.server.save_and_start(ServerSettings(port=app_port, runtime="docker"))
            urls["app"], containers["app"] = app.url, services.data_dir.container_name
            for label, command in (
                ("image", None),  # its defaults: run -p 8080 --server gunicorn, cached backend, preloaded
                ("before", pypiserver_args(ServerSettings(), port=8080, password_file="/data/auth/.htpasswd",
                                           packages_dir="/data/packages", server="gunicorn")),
            ):  # fmt: skip
                name = f"bench-serve-{label}-{app_port}"
                urls[label] = start_container(
                    client, name, services.data_dir.packages_dir, services.data_dir.auth_dir, free_port(), command
                )
                containers[label] = name
            static_root = scratch / "static"
            pre_render(urls["app"], projects, static_root, services.data_dir.packages_dir)
            static_port = free_port()
            static = subprocess.Popen(
                [sys.executable, "-m", "http.server", str(static_port), "--bind", "127.0.0.1", "-d", str(static_root)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            urls["static"] = f"http://127.0.0.1:{static_port}"
            wait_until_answers(f"{urls['static']}/simple/", lambda: True, 30)
            try:
                print(f"  {'server':<8} {'page p50':>9} {'p95':>8} {'/simple/ p50':>13} {'p95':>8} "
                      f"{'pip 20':>8} {'fresh':>8} {'memory':>8}")  # fmt: skip
                figures = {}
                pip_download(urls["static"], names[:1], scratch)  # pip's own first start is not the index's
                for label in ("app", "image", "before", "static"):
                    url = urls[label]
                    timed_gets(url, pages[:5], 120)  # warm up (the first request builds a cache)
                    page = timed_gets(url, pages, budget=30)
                    index = timed_gets(url, ["/simple/"] * 30, budget=30)
                    pip = pip_download(url, names, scratch)
                    fresh = freshness(url, services.data_dir.packages_dir) if label != "static" else None
                    memory = rss_mb(client, containers[label]) if label in containers else 0
                    figures[label] = (statistics.median(page), statistics.median(index))
                    shown = (
                        "never" if fresh is None and label != "static" else ("-" if fresh is None else f"{fresh:.2f}s")
                    )
                    print(f"  {label:<8} {p(page, .5):7.1f}ms {p(page, .95):6.1f}ms {p(index, .5):11.1f}ms "
                          f"{p(index, .95):6.1f}ms {pip:6.2f}s {shown:>8} {memory:6.0f}MB")  # fmt: skip
                app_page, app_index = figures["app"]
                for label in ("image", "before", "static"):
                    page, index = figures[label]
                    print(f"  app / {label}: page {app_page / page:.2f}x, /simple/ {app_index / index:.2f}x")
                for label in ("app", "before"):
                    result = load_round(urls[label], projects, services, scratch / label, args.seconds)
                    print(f"  load round, {label}: {result['rps']:.0f} requests/s, p95 {result['p95']:.0f} ms, "
                          f"{result['errors']} errors, {result['listed']} of 20 uploads listed "
                          "with the right sha256")  # fmt: skip
            finally:
                static.terminate()
                services.server.stop()
                for label in ("image", "before"):
                    client.containers.get(containers[label]).remove(force=True)
            shutil.rmtree(scratch / "static", ignore_errors=True)


if __name__ == "__main__":
    main()
