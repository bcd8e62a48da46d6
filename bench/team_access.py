"""What HTTPS and roles cost: the app's server in Docker, plain, over TLS, and with readers checked.

One data folder of 5,000 files (500 projects, tiny real wheels), one server at a time, in one run:
  plain     HTTP, no passwords for reading (the default)                       -- the baseline
  https     the same over TLS (the app's CA), one kept-alive connection
  handshake HTTPS with a new connection per request (what a client without keep-alive pays)
  readers   HTTPS, everything needs a password, read as a reader (bcrypt check + roles file)
  token     the same, read with a read-only API token (user __token__)
It prints p50/p95 of a project page for each and the ratio of each p50 to the baseline's, then
the time to refuse a reader's upload. Then, in this process, what checking one API token costs
(the server's own check, with 1,000 tokens on file) against one bcrypt password check: the
target is under 1 ms. Loopback only.

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
        read_token = services.users.token_store().create("ci", "bench", read_only=True, expires_days=1).secret
        rounds = {
            "plain": (ServerSettings(), True, None),
            "https": (ServerSettings(https=True), True, None),
            "handshake": (ServerSettings(https=True), False, None),
            "readers": (ServerSettings(https=True, auth="list,download,update"), True, ("ci", "ci-Pa55")),
            "token": (ServerSettings(https=True, auth="list,download,update"), True, ("__token__", read_token)),
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
        token_check_cost(Path(scratch))


def token_check_cost(scratch: Path, tokens_on_file: int = 1_000, checks: int = 20_000) -> None:
    """The server's token check (``inside/tokens.py``) against a bcrypt password check, in this process."""
    from passlib.apache import HtpasswdFile
    from passlib.hash import bcrypt

    from gui.services.server.inside.tokens import PUBLISH, Token, Tokens, digest_of, new_token, tokens_json

    key, secrets_made, entries = b"k" * 32, [], []
    for number in range(tokens_on_file):
        token_id, secret = new_token()
        secrets_made.append(secret)
        entries.append(Token(token_id, "ci", f"job {number}", PUBLISH, (), time.time(), None, digest_of(key, secret)))
    (scratch / "tokens.json").write_bytes(tokens_json(key, entries))
    htpasswd = HtpasswdFile(str(scratch / ".htpasswd"), new=True, default_scheme="bcrypt")
    htpasswd.set_password("ci", "ci-Pa55")
    htpasswd.save()
    tokens = Tokens(str(scratch / "tokens.json"), str(scratch / ".htpasswd"))
    tokens.find(secrets_made[0])  # the file read once
    took = []
    for _ in range(checks):
        secret = random.choice(secrets_made)
        began = time.perf_counter()
        assert tokens.find(secret) is not None
        took.append(time.perf_counter() - began)
    hashed = bcrypt.using(ident="2y").hash("ci-Pa55")
    bcrypt_took = []
    for _ in range(5):
        began = time.perf_counter()
        bcrypt.verify("ci-Pa55", hashed)
        bcrypt_took.append(time.perf_counter() - began)
    token_p50, bcrypt_p50 = p(took, 0.5), p(bcrypt_took, 0.5)  # ms
    verdict = "PASS" if p(took, 0.95) < 1 else "FAIL"
    print(f"token check: p50 {token_p50 * 1000:.1f} us, p95 {p(took, 0.95) * 1000:.1f} us "
          f"({tokens_on_file:,} tokens on file); bcrypt check: p50 {bcrypt_p50:.0f} ms; "
          f"{bcrypt_p50 / token_p50:,.0f}x cheaper; under 1 ms: {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
