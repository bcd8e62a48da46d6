"""`pypi-desk cache list|clear|login|logout`: upstream's projects kept by the index, and upstream's login;
`pypi-desk mirror add`: a set fetched into the cache for machines without internet."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.services.core import DeskServices


def add_parser(commands: argparse._SubParsersAction) -> None:
    cache = commands.add_parser("cache", help="public packages kept from upstream (PyPI): list, clear, upstream login")
    actions = cache.add_subparsers(dest="action", metavar="ACTION", required=True)
    listed = actions.add_parser("list", help="each cached project, its files and size; names also hosted")
    listed.add_argument("--json", action="store_true", help="machine-readable output")
    listed.set_defaults(handler=_list)
    clear = actions.add_parser("clear", help="remove one cached project, or all (they are fetched again when asked)")
    which = clear.add_mutually_exclusive_group(required=True)
    which.add_argument("project", nargs="?", help="the project to remove from the cache")
    which.add_argument("--all", action="store_true", help="empty the whole cache")
    clear.set_defaults(handler=_clear)
    allow = actions.add_parser("allow", help="serve upstream's project for a name the team hosted once, no longer")
    allow.add_argument("project")
    allow.set_defaults(handler=_allow)
    login = actions.add_parser("login", help="keep a user name and password for an upstream index that needs one")
    login.add_argument("user")
    login.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    login.set_defaults(handler=_login)
    actions.add_parser("logout", help="forget upstream's user name and password").set_defaults(handler=_logout)
    mirror = commands.add_parser("mirror", help="fetch a set of public packages into the cache, for offline machines")
    mirror_actions = mirror.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = mirror_actions.add_parser(
        "add", help="resolve requirements for each platform and Python, and keep every file each needs (verified)"
    )
    add.add_argument("names", nargs="*", metavar="NAME", help="requirements, such as requests or 'numpy<2'")
    add.add_argument("-r", "--requirement", action="append", default=[], type=Path, metavar="FILE",
                     help="a requirements file (repeat for more)")  # fmt: skip
    add.add_argument("--platform", action="append", required=True, metavar="LIST",
                     help="linux-x86_64, linux-aarch64, win-amd64, win-arm64, macos-arm64, macos-x86_64")  # fmt: skip
    add.add_argument("--python", action="append", required=True, metavar="LIST", help="such as 3.10,3.12")
    add.add_argument("--sdists", action="store_true", help="keep each release's sdist too")
    add.add_argument("--json", action="store_true", help="the report as JSON")
    add.set_defaults(handler=_mirror_add)


def _list(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.packages.listing import human_size

    overview = services.cache.overview()
    if args.json:
        projects = {p.name: {"files": [f.filename for f in p.files], "bytes": p.size} for p in overview.projects}
        said = {"fallback": overview.fallback, "upstream": overview.upstream, "projects": projects,
                "also_hosted": list(overview.both), "upstream_problem": overview.upstream_problem}  # fmt: skip
        print(json.dumps(said, indent=2))
        return 0
    print(f"Names this index does not host: {overview.fallback} (upstream {overview.upstream})")
    if overview.upstream_problem:
        print(f"Upstream could not be reached when last asked: {overview.upstream_problem}.")
    print(f"Cached: {len(overview.projects)} projects, {overview.file_count} files, {human_size(overview.size)}")
    for project in overview.projects:
        last = max((f.fetched_at for f in project.files), default=0)
        day = datetime.datetime.fromtimestamp(last).strftime("%Y-%m-%d") if last else ""
        print(f"  {project.name:<40} {len(project.files):>5} files {human_size(project.size):>10}  {day}")
    for name in overview.both:
        print(f"Warning: {name} is hosted by the team and also cached from upstream: only the team's files are served; "
              f"clear the cached copy with `pypi-desk cache clear {name}`.")  # fmt: skip
    return 0


def _clear(services: DeskServices, args: argparse.Namespace) -> int:
    gone = services.cache.clear(None if args.all else args.project)
    if not gone.get("projects"):
        print("Nothing was cached" + (f" for {args.project}." if args.project else "."))
        return 0
    print(
        f"Removed {gone['files']} files ({gone['bytes'] / 1e6:.1f} MB) of {gone['projects']} projects from the cache."
    )
    return 0


def _allow(services: DeskServices, args: argparse.Namespace) -> int:
    if services.cache.allow(args.project):
        print(f"Upstream's {args.project} is served from now on (the team no longer hosts it).")
    else:
        print(f"{args.project} was not held back: it was never the team's here.")
    return 0


def _login(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.cli.passwords import read_password

    services.cache.login(args.user, read_password(args.password_stdin, confirm=False))
    print("Kept upstream's login with the server's secrets; it is used from the server's next start.")
    return 0


def _logout(services: DeskServices, _args: argparse.Namespace) -> int:
    had = services.cache.logout()
    print("Forgot upstream's login." if had else "There was no upstream login to forget.")
    return 0


def _mirror_add(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.cache.mirror import read_requirements
    from gui.services.cache.targets import parse_targets
    from gui.services.packages.listing import human_size

    requirements = read_requirements(args.names, args.requirement)
    targets = parse_targets(args.platform, args.python)

    def progress(done: int, total: int, text: str) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r[{done}/{total}] {text[:70]:<70}", end="", file=sys.stderr, flush=True)

    reports = services.cache.add_set(requirements, targets, args.sdists, progress)
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print(json.dumps([{"platform": r.target.platform, "python": r.target.python,
                           "files": [{"filename": f, "size": s, "fetched_now": n} for f, s, n in r.files],
                           "sdist_only": r.sdist_only, "hosted": r.hosted} for r in reports], indent=2))  # fmt: skip
        return 0
    for report in reports:
        print(f"{report.target}: {len(report.files)} files, {human_size(report.size)} "
              f"({report.fetched} fetched now, the rest kept already)")  # fmt: skip
        for filename, size, new in report.files:
            print(f"  {filename:<70} {human_size(size):>10}{'  new' if new else ''}")
        if report.sdist_only:
            print(f"  no wheel for this platform, so the sdist (built on install): {', '.join(report.sdist_only)}")
        if report.hosted:
            print(f"  the team's own: {', '.join(report.hosted)}")
    return 0
