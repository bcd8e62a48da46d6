"""PyPI Desk's own launcher options, before pypiserver's arguments, and whether they need the launcher.

``--certfile FILE --keyfile FILE``: gunicorn speaks TLS itself. ``--roles FILE``: readers may
list and download, not publish (``roles.py``). ``--usage-days N``: downloads are recorded, raw
events kept N days (0: none recorded; ``usage.py``). ``--upstream URL`` (with ``--upstream-ca FILE``,
``--upstream-credentials FILE``, ``--cache-minutes N``): names the index lacks come from that index, through
the cache (``pull_through.py``). Plain pypiserver honours neither, so any doubt
about them (a roles file that does not parse, cannot be read, or names a reader) means the
server must not be served the plain way.
"""

from __future__ import annotations

import os

OWN_OPTIONS = ("--certfile", "--keyfile", "--roles", "--usage-days", "--upstream", "--upstream-ca",
               "--upstream-credentials", "--cache-minutes")  # fmt: skip


def split_options(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """PyPI Desk's own options (each with a value) from the front of ``argv``; the rest is pypiserver's."""
    options: dict[str, str] = {}
    while len(argv) >= 2 and argv[0] in OWN_OPTIONS:
        options[argv[0]] = argv[1]
        argv = argv[2:]
    return options, argv


def redirect_instead_of_cache(options: dict[str, str], args: list[str]) -> list[str]:
    """pypiserver's arguments for the plain way when the cache was asked for: plain pypiserver has no cache, so
    names it does not host are sent to upstream (a 303), not answered 404."""
    if not options.get("--upstream") or "--disable-fallback" not in args:
        return args
    plain = [arg for arg in args if arg != "--disable-fallback"]
    return [*plain[:-1], "--fallback-url", options["--upstream"], plain[-1]]


def readers_but_no_passwords(options: dict[str, str], args: list[str]) -> str | None:
    """Why the server must not start, when it asks no passwords (``-a .``) yet readers exist: without
    passwords nobody can be told apart, so a reader could publish."""
    asks_none = any(args[i] == "-a" and args[i + 1] == "." for i in range(len(args) - 1))
    if not asks_none or "--roles" not in options or not needs_launcher({"--roles": options["--roles"]}):
        return None
    return (
        "This index has readers (users who may download but not publish), but the server is set to ask no "
        "passwords, so anyone could publish. Turn passwords on (auth), or make the readers publishers first."
    )


def listen_address(args: list[str]) -> tuple[str, int, str]:
    """(host, port, packages folder) from pypiserver's arguments, read without importing pypiserver (the
    server's master must not: see ``gunicorn_app``); its defaults, 0.0.0.0 and 8080. pypiserver's own parser
    reads them all again in the worker."""
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-p", "--port", type=int, default=8080)
    parser.add_argument("-i", "-H", "--interface", "--host", dest="host", default="0.0.0.0")
    known, _ = parser.parse_known_args(args[1:] if args[:1] == ["run"] else args)
    return known.host, known.port, args[-1] if args else "."


def needs_launcher(options: dict[str, str]) -> bool:
    """HTTPS, or a roles file that names a reader or cannot be trusted: what the plain way cannot honour."""
    if "--certfile" in options:
        return True
    if "--roles" not in options or not os.path.lexists(options["--roles"]):
        return False  # a folder from before roles: everyone publishes, as there
    if __package__:
        from gui.services.server.inside.roles import RolesError, parse_roles
    else:
        from roles import RolesError, parse_roles
    try:
        with open(options["--roles"], "rb") as handle:
            return bool(parse_roles(handle.read(1024 * 1024), options["--roles"]))
    except (OSError, RolesError):
        return True
