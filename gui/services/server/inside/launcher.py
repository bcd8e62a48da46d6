"""PyPI Desk's launcher: runs pypiserver through its documented API, under the image's own gunicorn.

    python3 /opt/pypi-desk/launcher.py --container [OPTIONS] run -p 8080 --server gunicorn -P ... /data/packages
    python3 launcher.py [OPTIONS] run -p 8080 ... PACKAGES     (a local process: no user to become)
    python3 /opt/pypi-desk/launcher.py --check

It takes the very arguments ``pypi-server`` would (parsed by pypiserver's own parser), after
PyPI Desk's own options (``options.py``), and runs the image's Python, pypiserver, gunicorn and
gevent; nothing is installed. In the container it replaces the image's entrypoint and keeps
its duties (``privileges.py``). When the worker cannot build the app (``api_check.py``), the
launcher says why on stderr (``markers.py``: the app shows it in the status note) and serves
the plain way, unless HTTPS or readers need it, in which case the server does not start.

This module is the command line only; the server is ``gunicorn_app.py``.
"""

from __future__ import annotations

import importlib
import os
import sys

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside import api_check, gunicorn_app, markers, options, privileges
else:  # run as a script from this folder, inside the image or as the local process
    import api_check
    import gunicorn_app
    import markers
    import options
    import privileges

MARKER = markers.MARKER


def serve_plain(args: list[str], why: str) -> None:
    print(markers.plain_way_line(why), file=sys.stderr, flush=True)
    if __package__:
        from gui.services.server.inside.usage import records_stop
    else:
        from usage import records_stop
    records_stop(args[-1] if args else ".")  # plain pypiserver records no download
    if getattr(sys, "frozen", False):  # PyPI Desk's bundle: pypiserver is inside, not a Python to exec
        from pypiserver.__main__ import main as run_pypiserver

        run_pypiserver(args)
        return
    os.execv(sys.executable, [sys.executable, "-m", "pypiserver", *args])


def main(argv: list[str]) -> None:
    if argv[:1] == ["--check"]:
        problem = api_check.missing_api()
        print(problem or f"ok: pypiserver {importlib.import_module('pypiserver').__version__}")
        sys.exit(1 if problem else 0)
    in_container = argv[:1] == ["--container"]
    own, argv = options.split_options(argv[1:] if in_container else argv)
    refused = options.readers_but_no_passwords(own, argv)
    if refused is not None:
        sys.exit(f"{MARKER} {refused}")
    if in_container:
        try:
            own = privileges.become_server_user(own, argv[-1] if argv else privileges.PACKAGES)
        except OSError as exc:
            sys.exit(f"Cannot start pypiserver: {exc.filename or ''} {exc.strerror or exc}".replace("  ", " "))
    problem = gunicorn_app.serve(argv, own)  # returns only when the app did not build in the worker
    if problem is None:
        return
    if options.needs_launcher(own):  # plain pypiserver has neither TLS nor roles: serving without them is worse
        sys.exit(f"{MARKER} {problem}; HTTPS and readers need PyPI Desk's launcher, so the server does not start")
    serve_plain(options.redirect_instead_of_cache(own, argv), problem)


if __name__ == "__main__":
    main(sys.argv[1:])
