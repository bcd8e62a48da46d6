"""`pypi-desk package list|upload|remove`: what the index hosts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from gui.cli.passwords import read_password
from gui.services.datadir import DataDir
from gui.services.errors import DeskError
from gui.services.package_service import PackageService
from gui.services.pypirc import default_pypirc
from gui.services.server_service import ServerService
from gui.services.uploader import Credentials


def add_parser(commands: argparse._SubParsersAction) -> None:
    package = commands.add_parser("package", help="list, upload and remove hosted packages")
    actions = package.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="projects, versions and files")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=_list)
    upload = actions.add_parser("upload", help="check and upload sdists and wheels to the running server")
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


def _service(data_dir: DataDir) -> PackageService:
    return PackageService(ServerService.for_data_dir(data_dir), default_pypirc())


def _credentials(service: PackageService, args: argparse.Namespace) -> Credentials:
    if args.username:
        return Credentials(args.username, read_password(args.password_stdin, confirm=False))
    saved = service.saved_credentials()
    if saved is None:
        raise DeskError(
            "No user for this server in ~/.pypirc: give --username (with --password-stdin), "
            "or run 'pypi-desk client setup' first."
        )
    return saved


def _list(data_dir: DataDir, args: argparse.Namespace) -> int:
    listing = _service(data_dir).listing()
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
    print(f"{len(listing.projects)} projects, {listing.version_count} versions, {listing.file_count} files",
          file=sys.stderr)  # fmt: skip
    return 0


def _upload(data_dir: DataDir, args: argparse.Namespace) -> int:
    service = _service(data_dir)
    credentials = _credentials(service, args)
    failed = 0
    for path in args.files:
        try:
            service.upload(path, credentials)
            print(f"uploaded {path.name}")
        except DeskError as exc:  # one failure does not stop the rest
            failed += 1
            print(f"pypi-desk: {exc}", file=sys.stderr)
    return 1 if failed else 0


def _remove(data_dir: DataDir, args: argparse.Namespace) -> int:
    service = _service(data_dir)
    try:
        wanted = Version(args.version)
    except InvalidVersion as exc:
        raise DeskError(f"{args.version!r} is not a version (PEP 440), such as 1.0.0.") from exc
    project = next((p for p in service.listing().projects if p.name == canonicalize_name(args.name)), None)
    version = next((v for v in project.versions if v.version == wanted), None) if project else None
    if version is None:
        raise DeskError(f"The index has no {args.name} {args.version}; see 'pypi-desk package list'.")
    credentials = _credentials(service, args) if service.running_url() else None
    for filename in service.delete_version(list(version.files), credentials):
        print(f"removed {filename}")
    return 0
