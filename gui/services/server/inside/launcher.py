"""PyPI Desk's launcher: runs pypiserver through its documented API, under the image's own gunicorn.

    python3 /opt/pypi-desk/launcher.py --container [OPTIONS] run -p 8080 --server gunicorn -P ... /data/packages
    python3 launcher.py [OPTIONS] run -p 8080 ... PACKAGES     (a local process: no user to become)
    python3 /opt/pypi-desk/launcher.py --check

OPTIONS, PyPI Desk's own, before pypiserver's arguments: ``--certfile FILE --keyfile FILE``
(gunicorn speaks TLS itself; in the container the files are copied, as root, to a folder of
the server user's, so the key on the host can stay 0600) and ``--roles FILE`` (readers may
list and download, not publish: see ``roles.py``).

It takes the very arguments ``pypi-server`` would (parsed by pypiserver's own parser) and
runs the image's Python, pypiserver, gunicorn and gevent; nothing is installed. In the
container it replaces the image's entrypoint and keeps its duties: as root, it makes
the packages folder (``/data/packages``, or the volume's) usable by the pypiserver user (uid 9898)
and then drops to that user.

The app is built with ``pypiserver.app(**config)`` in gunicorn's worker (not preloaded in
the master, whose threads a fork would lose) and wrapped in :class:`FastPages`. When the
pypiserver at hand lacks something used here, the launcher says so on stderr (a line that
starts with :data:`MARKER`, naming the version) and serves the plain way instead.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys

MARKER = "pypi-desk-launcher:"
SERVER_USER = "pypiserver"  # uid/gid 9898 in the official image
PACKAGES = "/data/packages"
#: What this launcher uses of pypiserver: (module, attribute).
REQUIRED = (
    ("pypiserver", "app"),
    ("pypiserver.config", "Config"),
    ("pypiserver.backend", "valid_packages"),
    ("pypiserver.backend", "digest_file"),
    ("pypiserver.backend", "SimpleFileBackend"),
    ("pypiserver.backend", "BackendProxy"),
    ("pypiserver.pkg_helpers", "normalize_pkgname"),
    ("pypiserver.core", "PkgFile"),
    ("pypiserver.pkg_helpers", "normalize_pkgname_for_url"),
    ("pypiserver.bottle_wrapper", "request"),  # the request at hand, for the readers' auther
    ("gunicorn.app.base", "BaseApplication"),
)


def missing_api(required: tuple[tuple[str, str], ...] = REQUIRED) -> str | None:
    """None when pypiserver and gunicorn offer everything used here; else what is missing, in words."""
    try:
        version = importlib.import_module("pypiserver").__version__
    except Exception as exc:
        return f"pypiserver cannot be imported ({exc})"
    for module_name, attribute in required:
        try:
            module = importlib.import_module(module_name)
        except Exception:
            return f"pypiserver {version}: {module_name} is missing"
        if not hasattr(module, attribute):
            return f"pypiserver {version}: {module_name}.{attribute} is missing"
    return None


def become_server_user(options: dict[str, str], packages: str = PACKAGES) -> dict[str, str]:
    """The image entrypoint's duties when started as root: ``packages`` usable by uid 9898, then drop to it.
    Returns the options with the TLS files' copies that user reads."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return options
    import pwd

    user = pwd.getpwnam(SERVER_USER)
    os.makedirs(packages, exist_ok=True)
    if not _usable_by(user, packages):
        for folder, _dirs, files in os.walk(packages):
            for path in [folder, *(os.path.join(folder, name) for name in files)]:
                with contextlib.suppress(OSError):  # the check below says what still is wrong
                    os.chown(path, user.pw_uid, user.pw_gid)
    if not _usable_by(user, packages):
        sys.exit(f"Cannot start pypiserver: the {SERVER_USER} user (uid {user.pw_uid}) must be able to read, "
                 f"write and enter {packages}")  # fmt: skip
    options = copy_tls_for(user, options)
    os.setgroups([user.pw_gid])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    os.environ["HOME"] = user.pw_dir
    return options


def _usable_by(user, folder: str) -> bool:
    """Whether ``user`` may read, write and enter ``folder`` (asked as that user, in a child)."""
    pid = os.fork()
    if pid == 0:  # the child becomes the user and asks
        try:
            os.setgroups([user.pw_gid])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            os._exit(0 if os.access(folder, os.R_OK | os.W_OK | os.X_OK) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


OWN_OPTIONS = ("--certfile", "--keyfile", "--roles")
TLS_COPY_DIR = "/tmp/pypi-desk-tls"


def split_options(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """PyPI Desk's own options (each with a value) from the front of ``argv``; the rest is pypiserver's."""
    options: dict[str, str] = {}
    while len(argv) >= 2 and argv[0] in OWN_OPTIONS:
        options[argv[0]] = argv[1]
        argv = argv[2:]
    return options, argv


def copy_tls_for(user, options: dict[str, str]) -> dict[str, str]:
    """As root: the certificate and key copied to a folder only ``user`` reads; the options point there."""
    if "--certfile" not in options:
        return options
    os.makedirs(TLS_COPY_DIR, mode=0o700, exist_ok=True)
    os.chown(TLS_COPY_DIR, user.pw_uid, user.pw_gid)
    copied = dict(options)
    for option in ("--certfile", "--keyfile"):
        target = os.path.join(TLS_COPY_DIR, os.path.basename(options[option]))
        with open(options[option], "rb") as source:
            data = source.read()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chown(target, user.pw_uid, user.pw_gid)
        copied[option] = target
    return copied


def _inside_modules():
    """This folder's modules: the package's in PyPI Desk's own process (the bundle, a local process);
    plain imports inside the image, where the launcher runs as a script with its folder on sys.path."""
    try:
        from gui.services.server.inside import fast_pages, fresh_index, roles
    except ImportError:
        import fast_pages
        import fresh_index
        import roles
    return fast_pages, fresh_index, roles


def needs_launcher(options: dict[str, str]) -> bool:
    """HTTPS, or a roles file that names a reader: what the plain way could not honour."""
    if "--certfile" in options:
        return True
    if "--roles" not in options:
        return False
    roles = _inside_modules()[2]
    try:
        return bool(roles.Readers(options["--roles"]).names())
    except (OSError, ValueError, AttributeError):
        return False


def serve(args: list[str], options: dict[str, str] | None = None) -> None:
    """pypiserver with :class:`FastPages` in front, in one gunicorn worker (gevent when the image has it)."""
    from gunicorn.app.base import BaseApplication
    from pypiserver.backend import BackendProxy
    from pypiserver.config import Config

    fast_pages, fresh_index, roles = _inside_modules()  # loaded now, before any worker forks

    options = options or {}
    config = Config.from_args(args)
    worker_class = "gevent" if importlib.util.find_spec("gevent") else "gthread"
    host = f"[{config.host}]" if ":" in config.host else config.host

    class Launcher(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{config.port}",
                "workers": 1,
                "worker_class": worker_class,
                "threads": 8,
                "preload_app": False,
                "accesslog": "-",  # every request with its real status code
                "errorlog": "-",
                "timeout": 600,  # a 500 MB upload on a slow line
            }.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25: no socket file in the cwd
                self.cfg.set("control_socket_disable", True)
            if "--certfile" in options:  # HTTPS, spoken by gunicorn itself
                self.cfg.set("certfile", options["--certfile"])
                self.cfg.set("keyfile", options["--keyfile"])

        def load(self):
            import pypiserver
            from pypiserver.bottle_wrapper import request

            checked = roles.VerifiedLogins(config.auther, config.password_file)  # one bcrypt per login, not per page
            auther = checked
            if "--roles" in options:
                readers = roles.Readers(options["--roles"])
                auther = roles.role_auther(checked, readers, lambda: request)
            app = pypiserver.app(**_app_kwargs(config), auther=auther)
            index = fresh_index.FreshIndex(config.package_root, config.hash_algo)
            served = getattr(app, "_pypiserver_config", None)  # the config pypiserver's routes read
            if served is not None and len(served.roots) == 1:  # its lookups from the index too: no walks
                served.backend = BackendProxy(fresh_index.IndexedBackend(served, index))
            fallback = None if config.disable_fallback else config.fallback_url
            list_auther = checked if "list" in config.authenticate else None
            download_auther = checked if "download" in config.authenticate else None
            return fast_pages.FastPages(app, index, fallback, list_auther, download_auther)

    Launcher().run()


def _app_kwargs(config) -> dict:
    """The parsed command line as ``pypiserver.app`` keywords (its config's own properties)."""
    derived = set(getattr(config, "_derived_properties", ()))
    return {key: value for key, value in dict(config).items() if key not in derived}


def serve_plain(args: list[str], why: str) -> None:
    print(f"{MARKER} {why}; serving the plain way (pypi-server) instead", file=sys.stderr, flush=True)
    if getattr(sys, "frozen", False):  # PyPI Desk's bundle: pypiserver is inside, not a Python to exec
        from pypiserver.__main__ import main as run_pypiserver

        run_pypiserver(args)
        return
    os.execv(sys.executable, [sys.executable, "-m", "pypiserver", *args])


def main(argv: list[str]) -> None:
    if argv[:1] == ["--check"]:
        problem = missing_api()
        print(problem or f"ok: pypiserver {importlib.import_module('pypiserver').__version__}")
        sys.exit(1 if problem else 0)
    in_container = argv[:1] == ["--container"]
    options, argv = split_options(argv[1:] if in_container else argv)
    if in_container:
        options = become_server_user(options, argv[-1] if argv else PACKAGES)  # pypiserver's last argument
    problem = missing_api()
    if problem is not None:
        if needs_launcher(options):  # plain pypiserver has neither TLS nor roles: serving without them is worse
            sys.exit(f"{MARKER} {problem}; HTTPS and readers need PyPI Desk's launcher, so the server does not start")
        serve_plain(argv, problem)
        return
    serve(argv, options)


if __name__ == "__main__":
    main(sys.argv[1:])
