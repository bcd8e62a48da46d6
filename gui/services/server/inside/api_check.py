"""Whether this launcher can serve with the pypiserver and gunicorn at hand: asked before every start.

:func:`missing_api` names the first piece of pypiserver's API the launcher uses that is not
there; :func:`start_check` then builds the very app a gunicorn worker would build (against an
empty temporary packages folder) and asks it for a page and ``/health``, so a renamed config
attribute or a changed signature is found in the master, where the launcher can still fall
back to the plain way, not in the worker (which would exit 3 and stop the server).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import tempfile
import traceback

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
    ("pypiserver.bottle_wrapper", "HTTPError"),  # an upload's refusal in words
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


def start_check(args: list[str], options: dict[str, str], build_app) -> tuple[str | None, dict]:
    """(None, facts) when ``build_app(args, options)`` builds an app that answers a page and ``/health`` (the
    packages folder swapped for an empty temporary one); else (what failed in one line, {}). ``facts`` are
    what the master needs of pypiserver's parsed command line: ``host``, ``port``, ``root``.

    It runs in a child process where there is ``fork``: the master then never imports pypiserver, and so
    never bottle, whose per-request state must be made after gevent patches the worker (made before, it is
    one state for every request at once: overlapping uploads broke each other)."""
    if not hasattr(os, "fork"):
        return _check(args, options, build_app)
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: check, say what it found, and leave without running the parent's cleanups
        code = 1
        try:
            os.close(readable)
            with os.fdopen(writable, "w") as out:
                json.dump(_check(args, options, build_app), out)
            code = 0
        finally:
            os._exit(code)
    os.close(writable)
    with os.fdopen(readable) as answer:
        said = answer.read()
    _, status = os.waitpid(pid, 0)
    try:
        problem, facts = json.loads(said)
    except ValueError:
        return f"the start check ended without an answer (exit status {os.waitstatus_to_exitcode(status)})", {}
    return problem, facts


def _check(args: list[str], options: dict[str, str], build_app) -> tuple[str | None, dict]:
    problem = missing_api()
    if problem is not None:
        return problem, {}
    version = importlib.import_module("pypiserver").__version__
    scratch = tempfile.mkdtemp(prefix="pypi-desk-check-")
    try:
        from pypiserver.config import Config

        config = Config.from_args(args)
        facts = {"host": config.host, "port": config.port, "root": str(config.package_root)}
        app = build_app([*args[:-1], scratch] if args else args, options)
        for path in ("/simple/", "/health"):
            status = _ask(app, path)
            if not status.startswith(("200", "401", "403")):
                return f"pypiserver {version}: the launcher's app answered {status} for {path}", {}
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return (
            f"pypiserver {version}: the launcher's app does not build ({type(exc).__name__}: {exc}, at {where.name})",
            {},
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return None, facts


def _ask(app, path: str) -> str:
    """The status line ``app`` answers for a GET of ``path`` (its body read and closed)."""
    answered: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }  # fmt: skip
    body = app(environ, lambda status, headers, exc_info=None: answered.append(status))
    try:
        for _ in body:
            pass
    finally:
        if hasattr(body, "close"):
            body.close()
    return answered[0] if answered else "nothing"
