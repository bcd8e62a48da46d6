"""`pypi-desk client setup`: the ~/.pypirc section that lets twine upload to this server."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from gui.cli.passwords import read_password

if TYPE_CHECKING:
    from gui.services.core import DeskServices


def add_parser(commands: argparse._SubParsersAction) -> None:
    client = commands.add_parser("client", help="set up this machine's twine for the server")
    actions = client.add_subparsers(dest="action", metavar="ACTION", required=True)
    setup = actions.add_parser("setup", help="write or update one section of ~/.pypirc (a backup is kept)")
    setup.add_argument("--username", required=True, help="a user of this server")
    setup.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    setup.add_argument("--name", default="local", help="the section and index name (default: local)")
    setup.add_argument("--pypirc", type=Path, help="the file to edit (default: ~/.pypirc)")
    setup.add_argument("--dry-run", action="store_true", help="show the change, write nothing")
    setup.set_defaults(handler=_setup)


def _setup(services: DeskServices, args: argparse.Namespace) -> int:
    password = read_password(args.password_stdin, confirm=False)
    clients = services.clients
    change = clients.plan(services.server.load_settings(), args.username, password, args.name, args.pypirc)
    if not change.changed:
        print(f"{change.path} already has [{args.name}] for this server; nothing to change.")
        return 0
    print(change.preview(), end="")
    if args.dry_run:
        return 0
    backup = clients.apply(change)
    print(f"Wrote {change.path} (mode 0600)" + (f"; the previous file is {backup}." if backup else "."))
    print(f"Upload with: twine upload -r {args.name} dist/*")
    return 0
