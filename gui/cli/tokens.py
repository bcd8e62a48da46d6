"""`pypi-desk token create|list|revoke`: API tokens for CI (user name ``__token__``, as on PyPI)."""

from __future__ import annotations

import argparse
import datetime
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.services.core import DeskServices


def add_parser(commands: argparse._SubParsersAction) -> None:
    token = commands.add_parser("token", help="API tokens for CI: create (shown once), list, revoke")
    actions = token.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="make a token for a user; it is printed once and stored nowhere")
    create.add_argument("user")
    create.add_argument("--name", required=True, help="what it is for, e.g. 'release job of app'")
    create.add_argument("--project", action="append", default=[], metavar="NAME",
                        help="may publish only this project (repeat for more); default: all the user may")  # fmt: skip
    create.add_argument("--read-only", action="store_true", help="may list and download, never publish")
    create.add_argument("--expires", default="90d", help="30d, 90d (default), 365d, Nd, or never")
    create.add_argument(
        "--keyring", action="store_true", help="put it into this computer's keyring (user __token__), not on screen"
    )
    create.set_defaults(handler=_create)
    listing = actions.add_parser("list", help="the tokens (never the tokens themselves): id, user, name, scope, dates")
    listing.add_argument("user", nargs="?")
    listing.set_defaults(handler=_list)
    revoke = actions.add_parser("revoke", help="revoke a token at once (by its id, from 'token list')")
    revoke.add_argument("id")
    revoke.set_defaults(handler=_revoke)


def _day(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d")


def _create(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.users.tokens import parse_expiry

    days = parse_expiry(args.expires)
    if args.keyring:
        services.clients.check_keyring()  # before the token exists: none is made that nobody holds
    made = services.users.token_store().create(args.user, args.name, args.project, args.read_only, days)
    token = made.token
    scope = "publish " + (", ".join(token.projects) if token.projects else f"all of {token.user}'s projects")
    if token.scope == "read":
        scope = "read only"
    print(f"token {token.id} for {token.user} ({token.name}): {scope}; expires {_day(token.expires)}", file=sys.stderr)
    if days is None:
        print("warning: this token never expires; revoke it when the job it is for goes away", file=sys.stderr)
    if args.keyring:
        try:
            count, replaced = services.clients.store_token(services.server.load_settings().url, made.secret)
        except Exception:
            services.users.token_store().revoke(token.id)  # nobody holds it: it must not stay valid
            raise
        print(f"stored in the keyring for this server ({count} entries, user __token__)", file=sys.stderr)
        for old in replaced:
            gone = services.users.token_store().revoke_secret(old)
            if gone is not None:
                print(f"revoked token {gone.id} ({gone.name}): it was in the keyring, replaced now", file=sys.stderr)
        return 0
    print(made.secret)
    print("This is the only time the token is shown: keep it as a CI secret now.", file=sys.stderr)
    return 0


def _list(services: DeskServices, args: argparse.Namespace) -> int:
    used = services.packages.facts().token_use
    for token in services.users.token_store().tokens(args.user):
        scope = token.scope + (":" + ",".join(token.projects) if token.projects else "")
        last = _day(used[token.id]) if token.id in used else "unused"
        state = " (expired)" if token.expired() else ""
        print(f"{token.id}\t{token.user}\t{token.name}\t{scope}\tcreated {_day(token.created)}\t"
              f"expires {_day(token.expires)}{state}\tlast used {last}")  # fmt: skip
    return 0


def _revoke(services: DeskServices, args: argparse.Namespace) -> int:
    store = services.users.token_store()
    token = store.revoke(args.id)
    removed = services.clients.forget_dead_tokens(store.is_live)
    also = f"; removed it from the keyring ({removed} entries)" if removed else ""
    print(f"revoked token {token.id} ({token.name}) of {token.user}{also}")
    return 0
