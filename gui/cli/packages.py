"""`pypi-desk package list|upload|remove`: what the index hosts."""

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
                {"version": str(v.version), "files": [
                    {"filename": f.filename, "kind": f.kind, "tags": f.tags, "size": f.size, "uploaded": f.uploaded}
                    for f in v.files]} for v in p.versions]}
            for p in listing.projects], indent=2))  # fmt: skip
        return 0
    for project in listing.projects:
        for version in project.versions:
            print(f"{project.name}\t{version.version}\t" + " ".join(f.filename for f in version.files))
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
