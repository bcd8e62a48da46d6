"""`pypi-desk settings show|set`: the server's settings, one ``key = value`` a line."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.services.core import DeskServices


#: Settings the app itself reads when it needs them, not the server: a change needs no restart.
APP_ONLY = ("trash_days",)


def add_parser(commands: argparse._SubParsersAction) -> None:
    settings = commands.add_parser("settings", help="show or change the server's settings")
    actions = settings.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("show", help="print every setting, one 'key = value' a line").set_defaults(handler=_show)
    change = actions.add_parser("set", help="check and save KEY=VALUE settings (the old file stays on a bad one)")
    change.add_argument("changes", nargs="+", metavar="KEY=VALUE", help="such as port=8080 host=0.0.0.0 auth=update")
    change.set_defaults(handler=_set)


def _show(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.index.settings import settings_as_text

    for key, value in settings_as_text(services.server.load_settings()):
        print(f"{key} = {value}")
    return 0


def _set(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.errors import SettingsError
    from gui.services.index.settings import settings_as_text, settings_with_text
    from gui.services.users.rules import READ

    server = services.server
    wanted = settings_with_text(server.load_settings(), args.changes)
    if wanted.auth == "none":
        readers = [user.name for user in services.users.users() if user.role == READ]
        if readers:
            raise SettingsError(
                f"auth=none asks no passwords, so the readers ({', '.join(readers)}) could publish: make them "
                "publishers (pypi-desk user role NAME publish) or remove them first. Nothing was changed."
            )
    before, after = server.change_settings(lambda current: settings_with_text(current, args.changes))
    changed = [
        (key, value)
        for (key, value), (_, old) in zip(settings_as_text(after), settings_as_text(before), strict=True)
        if value != old
    ]
    for key, value in changed:
        print(f"{key} = {value}")
    if not changed:
        print("Nothing changed.")
    for warning in after.warnings():
        print(f"warning: {warning}")
    if any(key not in APP_ONLY for key, _ in changed) and server.status().running:
        print("The server runs with the old settings: stop it and start it again to use these.")
    return 0
