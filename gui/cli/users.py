"""`pypi-desk user add|list|role|passwd|remove|repair`: the server's users and their roles."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from gui.cli.passwords import read_password
from gui.services.users.rules import DEFAULT_SCHEME, PUBLISH, ROLES, SCHEME_NAMES

if TYPE_CHECKING:
    from gui.services.core import DeskServices


def add_parser(commands: argparse._SubParsersAction) -> None:
    user = commands.add_parser("user", help="who may read and publish: add, list, change and remove users")
    actions = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a user (asks for the password twice, hidden)")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--scheme", choices=SCHEME_NAMES, default=DEFAULT_SCHEME, help="hash scheme (default: bcrypt)")
    add.add_argument(
        "--role", choices=ROLES, default=PUBLISH, help="publish: upload and delete; read: list and download only"
    )
    add.set_defaults(handler=_add)
    actions.add_parser("list", help="list the users, their roles and hash schemes").set_defaults(handler=_list)
    role = actions.add_parser("role", help="make a user a publisher or a reader (at once, no restart)")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(handler=_role)
    passwd = actions.add_parser("passwd", help="change a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.add_argument("--scheme", choices=SCHEME_NAMES, default=DEFAULT_SCHEME)
    passwd.set_defaults(handler=_passwd)
    remove = actions.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)
    actions.add_parser("repair", help="remove lines that are not 'name:hash'").set_defaults(handler=_repair)


def _no_readers_without_passwords(services: DeskServices, role: str) -> None:
    """A reader needs passwords to be told apart: refused while the server asks none."""
    from gui.services.errors import UserError

    if role != PUBLISH and services.server.load_settings().auth == "none":
        raise UserError(
            "The server asks no passwords (auth=none), so a reader could not be told apart from a publisher. "
            "Turn passwords on first (pypi-desk settings set auth=update), then make the reader. Nothing was changed."
        )


def _add(services: DeskServices, args: argparse.Namespace) -> int:
    services.data_dir.ensure()
    _no_readers_without_passwords(services, args.role)
    user = services.users.add(args.name, read_password(args.password_stdin), args.scheme, args.role)
    can = "upload and delete" if user.role == PUBLISH else "list and download (not publish)"
    print(f"Added {user.name} ({user.scheme}, {user.role}). It can {can} now; the server needs no restart.")
    return 0


def _list(services: DeskServices, args: argparse.Namespace) -> int:
    store = services.users
    for user in store.users():
        print(f"{user.name}\t{user.role}\t{user.scheme}")
    for problem in store.problems():
        print(f"warning: {problem}")
    return 0


def _role(services: DeskServices, args: argparse.Namespace) -> int:
    _no_readers_without_passwords(services, args.role)
    user = services.users.set_role(args.name, args.role)
    print(f"{user.name} is now a {'publisher' if user.role == PUBLISH else 'reader'}; it applies at once.")
    return 0


def _passwd(services: DeskServices, args: argparse.Namespace) -> int:
    user = services.users.change_password(args.name, read_password(args.password_stdin), args.scheme)
    print(f"Changed the password of {user.name} ({user.scheme}).")
    return 0


def _remove(services: DeskServices, args: argparse.Namespace) -> int:
    forgotten = services.remove_user(args.name)
    print(
        f"Removed {args.name}."
        + (f" Removed {forgotten} entries of its password from the keyring." if forgotten else "")
    )
    return 0


def _repair(services: DeskServices, args: argparse.Namespace) -> int:
    removed = services.users.repair()
    print(f"Removed {removed} broken line(s)." if removed else "Nothing to repair.")
    return 0
