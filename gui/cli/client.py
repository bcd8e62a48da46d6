"""`pypi-desk client setup|to-keyring`: twine, pip and uv on this machine, the password in the keyring."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from gui.cli.passwords import read_password

if TYPE_CHECKING:
    from gui.services.clients.setup import ClientSetup
    from gui.services.core import DeskServices


def add_parser(commands: argparse._SubParsersAction) -> None:
    client = commands.add_parser("client", help="set up this machine's twine, pip and uv for the server")
    actions = client.add_subparsers(dest="action", metavar="ACTION", required=True)
    setup = actions.add_parser(
        "setup",
        help="write this server's ~/.pypirc section (and pip.conf, uv.toml), the password in the system keyring",
    )
    setup.add_argument("--username", required=True, help="a user of this server")
    setup.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    where = setup.add_mutually_exclusive_group()
    where.add_argument(
        "--keyring",
        dest="storage",
        action="store_const",
        const="keyring",
        help="keep the password in the system keyring; no file holds it (the default when a keyring works)",
    )
    where.add_argument(
        "--plaintext", dest="storage", action="store_const", const="file", help="keep the password in ~/.pypirc (0600)"
    )
    setup.add_argument("--pip", action="store_true", help="make this index pip's default (pip.conf), via the keyring")
    setup.add_argument("--uv", action="store_true", help="make this index uv's default (uv.toml), via the keyring")
    setup.add_argument("--name", default="local", help="the section and index name (default: local)")
    setup.add_argument("--pypirc", type=Path, help="the file to edit (default: ~/.pypirc)")
    setup.add_argument("--dry-run", action="store_true", help="show every change, write nothing")
    setup.set_defaults(handler=_setup, storage=None)
    move = actions.add_parser(
        "to-keyring", help="move the password ~/.pypirc holds for this server into the system keyring"
    )
    move.add_argument("--dry-run", action="store_true", help="show the change, write nothing")
    move.set_defaults(handler=_to_keyring)


def _setup(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.clients.setup import Storage
    from gui.services.errors import DeskError

    clients = services.clients
    if args.storage is None:  # the keyring when one works; else say so, and how to choose the file
        state = clients.keyring_state()
        if not state.usable:
            raise DeskError(f"{state.problem} Or keep the password in ~/.pypirc (0600): add --plaintext.")
    password = read_password(args.password_stdin, confirm=False)
    setup = clients.plan(
        services.server.load_settings(),
        args.username,
        password,
        args.name,
        storage=Storage.FILE if args.storage == "file" else Storage.KEYRING,
        pip=args.pip,
        uv=args.uv,
        pypirc=args.pypirc,
    )
    return _show_and_apply(services, setup, args.dry_run, f"Upload with: twine upload -r {args.name} dist/*")


def _to_keyring(services: DeskServices, args: argparse.Namespace) -> int:
    setup = services.clients.plan_move_to_keyring(services.server.load_settings())
    return _show_and_apply(services, setup, args.dry_run, "twine now reads the password from the keyring.")


def _show_and_apply(services: DeskServices, setup: ClientSetup, dry_run: bool, after: str) -> int:
    if not setup.changed:
        print(f"This machine is already set up for {setup.url}; nothing to change.")
        return 0
    print(setup.preview(), end="")
    if dry_run:
        return 0
    print(services.clients.apply(setup).summary())
    print(after)
    return 0
