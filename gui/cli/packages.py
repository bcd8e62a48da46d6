"""`pypi-desk package list|upload|remove|yank|unyank`: what the index hosts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gui.cli.passwords import read_password

if TYPE_CHECKING:
    from gui.services.clients.pypirc_reader import Credentials
    from gui.services.core import DeskServices
    from gui.services.packages.service import UploadEvent


def add_parser(commands: argparse._SubParsersAction) -> None:
    package = commands.add_parser("package", help="list, upload and remove hosted packages")
    actions = package.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="projects, versions and files")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=_list)
    upload = actions.add_parser(
        "upload", help="check and upload sdists, wheels and project folders (built first) to the running server"
    )
    upload.add_argument("files", nargs="+", type=Path, metavar="FILE")
    _credential_options(upload)
    upload.set_defaults(handler=_upload)
    remove = actions.add_parser("remove", help="delete every file of one version")
    remove.add_argument("name")
    remove.add_argument("version")
    _credential_options(remove)
    remove.set_defaults(handler=_remove)
    yank = actions.add_parser(
        "yank", help="mark a version yanked (PEP 592): pip and uv skip it unless pinned with ==; its files stay"
    )
    yank.add_argument("name")
    yank.add_argument("version")
    yank.add_argument("--reason", default="", help="why, shown by pip and uv to whoever still installs it")
    yank.set_defaults(handler=_yank)
    unyank = actions.add_parser("unyank", help="make a yanked version installable again")
    unyank.add_argument("name")
    unyank.add_argument("version")
    unyank.set_defaults(handler=_unyank)


def _credential_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", help="default: this server's section of ~/.pypirc")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def _credentials(services: DeskServices, args: argparse.Namespace) -> Credentials:
    from gui.services.clients.pypirc_reader import Credentials
    from gui.services.errors import DeskError

    if args.username:
        return Credentials(args.username, read_password(args.password_stdin, confirm=False))
    saved = services.packages.saved_credentials()
    if saved is None:
        raise DeskError(
            "No user for this server in ~/.pypirc: give --username (with --password-stdin), "
            "or run 'pypi-desk client setup' first."
        )
    return saved


def _list(services: DeskServices, args: argparse.Namespace) -> int:
    listing = services.packages.listing()
    if args.json:
        print(json.dumps([
            {"project": p.name, "versions": [
                {"version": str(v.version), "yanked": listing.yank_reason(p.name, v.version), "files": [
                    {"filename": f.filename, "kind": f.kind, "tags": f.tags, "size": f.size,
                     "uploaded": listing.upload_of(f)[0], "uploaded_as": listing.upload_of(f)[1]}
                    for f in v.files]} for v in p.versions]}
            for p in listing.projects], indent=2))  # fmt: skip
        return 0
    for project in listing.projects:
        for version in project.versions:
            reason = listing.yank_reason(project.name, version.version)
            yanked = "" if reason is None else f"\t(yanked{': ' + reason if reason else ''})"
            print(f"{project.name}\t{version.version}\t" + " ".join(f.filename for f in version.files) + yanked)
    print(listing.summary(), file=sys.stderr)
    return 0


def _upload(services: DeskServices, args: argparse.Namespace) -> int:
    outcomes = services.packages.upload_paths(args.files, _credentials(services, args), _print_event)
    return 1 if any(outcome.state == "failed" for outcome in outcomes) else 0


def _print_event(event: UploadEvent) -> None:
    if event.state == "failed":
        print(f"pypi-desk: {event.message}", file=sys.stderr)
    elif event.state == "building":
        print(f"building {event.name}", file=sys.stderr)
    elif event.state == "done":
        print(f"uploaded {event.name}" if event.message == "Uploaded" else f"{event.name}: {event.message}")


def _remove(services: DeskServices, args: argparse.Namespace) -> int:
    packages = services.packages
    version = packages.find_version(args.name, args.version)  # a wrong name or version is said before any password
    credentials = _credentials(services, args) if services.server.running_url() else None
    for filename in packages.delete_files(version, credentials):
        print(f"removed {filename}")
    return 0


def _yank(services: DeskServices, args: argparse.Namespace) -> int:
    found = services.packages.set_yanked(args.name, args.version, args.reason)
    print(f"yanked {found.files[0].project} {found.version}" + (f": {args.reason}" if args.reason else ""))
    return 0


def _unyank(services: DeskServices, args: argparse.Namespace) -> int:
    found = services.packages.set_yanked(args.name, args.version, None)
    print(f"unyanked {found.files[0].project} {found.version}")
    return 0
