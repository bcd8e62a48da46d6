"""The pypiserver command line both runtimes run, built from the settings, and how it is launched.

The arguments are ``pypi-server``'s. PyPI Desk's launcher (``inside/launcher.py``) takes the
very same ones, parses them with pypiserver's own parser and serves them faster; when it
cannot, it runs ``pypi-server`` with them unchanged.
"""

from __future__ import annotations

from gui.services.index.settings import ServerSettings
from gui.services.server.inside.markers import plain_way_reason

#: Where a container sees PyPI Desk's launcher (:mod:`gui.services.server.inside.launcher`; the folder is
#: ``LAUNCHER_DIR``), a read-only mount.
LAUNCHER_IN_CONTAINER = "/opt/pypi-desk"
#: The image's Python runs the launcher; ``--container`` has it do the image entrypoint's duties.
CONTAINER_ENTRYPOINT = ["python3", f"{LAUNCHER_IN_CONTAINER}/launcher.py", "--container"]


def launcher_note(log_text: str) -> str:
    """Why the server runs the plain way, from its log; "" when the launcher serves it."""
    why = plain_way_reason(log_text)
    if why is None:
        return ""
    return (
        f"The server runs pypiserver the plain way, without PyPI Desk's fast pages: {why}. "
        "Pages are slower on a large index; everything else works."
    )


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
    if settings.redirect_url:
        args += ["--fallback-url", settings.redirect_url]
    else:
        args.append("--disable-fallback")
    args.append(packages_dir)
    return args


def launcher_options(settings: ServerSettings, *, tls_dir: str, roles_file: str, upstream_ca: str | None = None,
                     upstream_credentials: str | None = None) -> list[str]:  # fmt: skip
    """PyPI Desk's own launcher options (before pypiserver's arguments): TLS files, the roles file, how long
    download records are kept (0: none recorded), and upstream's cache (its CA bundle and credentials, where the
    server sees them, when there are)."""
    options = ["--roles", roles_file, "--usage-days", str(settings.usage_days)]
    if settings.https:
        options += ["--certfile", f"{tls_dir}/server.pem", "--keyfile", f"{tls_dir}/server-key.pem"]
    if settings.fallback == "cache":
        options += ["--upstream", settings.upstream, "--cache-minutes", str(settings.cache_minutes)]
        if upstream_ca:
            options += ["--upstream-ca", upstream_ca]
        if upstream_credentials:
            options += ["--upstream-credentials", upstream_credentials]
    return options


def facts_script(packages_dir: str, args: list[str]) -> str:
    """A shell line running ``inside/facts_main.py ARGS`` on ``packages_dir`` with the image's Python (its source,
    after ``facts.py``'s, given with ``-c``: no file of PyPI Desk's needs to be in the container)."""
    import shlex

    from gui.services.server.inside import LAUNCHER_DIR

    parts = ("facts.py", "usage.py", "trash.py", "cache_store.py", "facts_main.py")
    source = "\n".join((LAUNCHER_DIR / name).read_text(encoding="utf-8") for name in parts)
    command = ["python3", "-c", source, args[0], packages_dir, *args[1:]]
    return " ".join(shlex.quote(part) for part in command)
