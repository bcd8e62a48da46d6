"""The pypiserver command line both runtimes run, built from the settings.

Any arguments replace the official image's default command entirely (its
``--server gunicorn`` and ``$PYPISERVER_PORT`` included), so all are passed.
"""

from __future__ import annotations

from gui.services.server.settings import ServerSettings

HEALTH_PATH = "/health"

#: In a frozen bundle there is no Python to run ``-m pypiserver`` with: the app's own
#: executable serves instead when its first argument is this (see ``gui.cli.main``).
FROZEN_SERVER_ARGUMENT = "--run-bundled-pypiserver"

#: Gunicorn's access log is what prints each request with its real status code
#: (pypiserver's own request log says "200 OK" even for refused requests).
GUNICORN_ACCESS_LOG = "--access-logfile -"


def pypiserver_args(
    settings: ServerSettings,
    *,
    port: int,
    password_file: str,
    packages_dir: str,
    server: str,
    host: str | None = None,
) -> list[str]:
    """Arguments for ``pypi-server`` (after the program name)."""
    args = ["run", "-p", str(port)]
    if host is not None:
        args += ["-i", host]
    args += ["--server", server]
    if settings.auth == "none":
        args += ["-a", ".", "-P", "."]
    else:
        args += ["-P", password_file, "-a", settings.auth]
    # The listing cache of the default backend misses files placed in the folder
    # under gunicorn (pypiserver issues 449, 455); the plain backend reads it each time.
    args += ["--backend", "simple-dir", "--health-endpoint", HEALTH_PATH]
    if settings.overwrite:
        args.append("-o")
    if settings.fallback_url:
        args += ["--fallback-url", settings.fallback_url]
    else:
        args.append("--disable-fallback")
    args.append(packages_dir)
    return args
