"""What HTTPS and roles cost: the app's server in Docker, plain, over TLS, and with readers checked.

One data folder of 5,000 files (500 projects, tiny real wheels), one server at a time, in one run:
  plain     HTTP, no passwords for reading (the default)                       -- the baseline
  https     the same over TLS (the app's CA), one kept-alive connection
  handshake HTTPS with a new connection per request (what a client without keep-alive pays)
  readers   HTTPS, everything needs a password, read as a reader (bcrypt check + roles file)
It prints p50/p95 of a project page for each and the ratio of each p50 to the baseline's, then
the time to refuse a reader's upload. Loopback only.

    .venv/bin/python bench/team_access.py [--files 5000] [--requests 1500]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serve import make_index, p
from gui.services.core import DeskServices
from gui.services.index.settings import ServerSettings
from tests.conftest import free_port


def timed(url: str, paths: list[str], verify: str | bool, auth=None, keep_alive: bool = True) -> list[float]:
    session, took = requests.Session(), []
    for path in paths:
        began = time.perf_counter()
        if keep_alive:
            reply = session.get(url + path, timeout=60, verify=verify, auth=auth)
        else:
            reply = requests.get(url + path, timeout=60, verify=verify, auth=auth, headers={"Connection": "close"})
        took.append(time.perf_counter() - began)
        assert reply.status_code == 200, (path, reply.status_code)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=1_500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        services = DeskServices.open(Path(scratch) / "server")
        services.data_dir.ensure()
        projects = make_index(services.data_dir.packages_dir, args.files)
        services.users.add("ci", "ci-Pa55", role="read")
        services.users.add("pub", "pub-Pa55")
        rounds = {
            "plain": (ServerSettings(), True, None),
            "https": (ServerSettings(https=True), True, None),
            "handshake": (ServerSettings(https=True), False, None),
            "readers": (ServerSettings(https=True, auth="list,download,update"), True, ("ci", "ci-Pa55")),
        }
        results: dict[str, list[float]] = {}
        for name, (base, keep_alive, auth) in rounds.items():
            settings = base.replace(port=free_port(), runtime="docker")
            status = services.server.save_and_start(settings)
            verify = services.server.tls.verify(settings)
            paths = [f"/simple/{random.choice(projects)}/" for _ in range(args.requests)]
            timed(status.url, paths[:50], verify, auth, keep_alive)  # warm up
            results[name] = timed(status.url, paths, verify, auth, keep_alive)
            if name == "readers":
                began = time.perf_counter()
                refused = requests.post(f"{status.url}/", data={":action": "remove_pkg", "name": "x", "version": "1"},
                                        auth=("ci", "ci-Pa55"), verify=verify, timeout=30)  # fmt: skip
                print(f"a reader's delete refused with {refused.status_code} in "
                      f"{(time.perf_counter() - began) * 1000:.1f} ms")  # fmt: skip
            services.server.stop()
        base_p50 = p(results["plain"], 0.5)
        print(f"{'round':<10} {'p50 ms':>8} {'p95 ms':>8} {'p50 ratio':>10}   ({args.files:,} files)")
        for name, took in results.items():
            print(f"{name:<10} {p(took, 0.5):>8.2f} {p(took, 0.95):>8.2f} {p(took, 0.5) / base_p50:>9.2f}x")


if __name__ == "__main__":
    main()
