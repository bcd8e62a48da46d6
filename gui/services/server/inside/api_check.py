"""Whether this launcher can serve with the pypiserver and gunicorn at hand.

:func:`missing_api` names the first piece of pypiserver's API the launcher uses that is not
there (``launcher.py --check``). At every start the worker builds the app and asks it for
``/health`` (:func:`check_built`); when that fails, :func:`why_not_built` is the reason the
launcher hands back to its master, which then serves the plain way instead of stopping (a
renamed config attribute used to make the worker exit 3 with no fallback). The check runs in
the worker because the master must never import pypiserver (see ``gunicorn_app``).
"""

from __future__ import annotations

import importlib
import io
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


def check_built(app) -> None:
    """Raise unless ``app`` (just built in the worker) answers ``/health``: what the start check asks."""
    status = _ask(app, "/health")
    if not status.startswith("200"):
        raise RuntimeError(f"its /health answered {status}")


def why_not_built(exc: BaseException) -> str:
    """One line saying why the launcher's app did not build, for the status note."""
    try:
        version = "pypiserver " + importlib.import_module("pypiserver").__version__
    except Exception:
        version = "pypiserver"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f", at {frames[-1].name}" if frames else ""
    return f"{version}: the launcher's app does not build ({type(exc).__name__}: {exc}{where})"


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
