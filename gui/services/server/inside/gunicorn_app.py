"""The server itself: pypiserver's app behind :class:`FastPages`, in one gunicorn worker.

:func:`build_app` makes the WSGI app from pypiserver's own arguments (parsed by its own
parser) and the launcher's options; the worker calls it after the fork (not preloaded in the
master, whose threads a fork would lose), and the start check calls the very same function
first, in a child of the master, against an empty folder: the master itself never imports
pypiserver, so bottle's per-request state is made in the worker, after gevent patches it.
"""

from __future__ import annotations

import importlib.util

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside import roles, uploads
else:  # run as a script from this folder, inside the image or as the local process
    import roles
    import uploads


def _page_modules():
    """The modules that import pypiserver (and bottle): only in the worker, or in the start check's child."""
    if __package__:
        from gui.services.server.inside import fast_pages, fresh_index
    else:
        import fast_pages
        import fresh_index
    return fast_pages, fresh_index


def build_app(args: list[str], options: dict[str, str]):
    """pypiserver's app for ``args``, its lookups answered from a fresh index, behind PyPI Desk's pages."""
    import pypiserver
    from pypiserver.backend import BackendProxy
    from pypiserver.bottle_wrapper import request
    from pypiserver.config import Config

    fast_pages, fresh_index = _page_modules()
    config = Config.from_args(args)
    checked = roles.VerifiedLogins(config.auther, config.password_file)  # one bcrypt per login, not per page
    auther = checked
    if "--roles" in options:
        auther = roles.role_auther(checked, roles.Readers(options["--roles"]), lambda: request)
    app = pypiserver.app(**_app_kwargs(config), auther=auther)
    index = fresh_index.FreshIndex(config.package_root, config.hash_algo)
    served = app._pypiserver_config  # the config pypiserver's routes read
    if len(served.roots) == 1:  # its lookups (and uploads) through the index's backend: no walks, no partial files
        served.backend = BackendProxy(fresh_index.IndexedBackend(served, index))
    fallback = None if config.disable_fallback else config.fallback_url
    list_auther = checked if "list" in config.authenticate else None
    download_auther = checked if "download" in config.authenticate else None
    whole = uploads.WholeBodies(app)  # a POST reaches pypiserver only once all of it has arrived
    if "--roles" in options and not config.authenticate:  # no passwords: readers cannot be told apart
        whole = roles.NoPublishingWithoutPasswords(whole, roles.Readers(options["--roles"]))
    return fast_pages.FastPages(whole, index, fallback, list_auther, download_auther)


def _app_kwargs(config) -> dict:
    """The parsed command line as ``pypiserver.app`` keywords (its config's own properties)."""
    derived = set(getattr(config, "_derived_properties", ()))
    return {key: value for key, value in dict(config).items() if key not in derived}


def serve(args: list[str], options: dict[str, str], facts: dict) -> None:
    """Run :func:`build_app` under gunicorn (gevent when the image has it) until stopped. ``facts`` (host, port,
    packages root) come from the start check: this master imports nothing of pypiserver's, so bottle is first
    imported in the worker, after gevent has patched it."""
    from gunicorn.app.base import BaseApplication

    worker_class = "gevent" if importlib.util.find_spec("gevent") else "gthread"
    host = f"[{facts['host']}]" if ":" in facts["host"] else facts["host"]
    uploads.remove_partial_uploads(facts["root"])

    class Launcher(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{facts['port']}",
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
            return build_app(args, options)

    Launcher().run()
