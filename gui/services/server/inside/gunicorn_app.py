"""The server itself: pypiserver's app behind :class:`FastPages`, in one gunicorn worker.

:func:`build_app` makes the WSGI app from pypiserver's own arguments (parsed by its own
parser) and the launcher's options; the worker calls it after the fork (not preloaded in the
master, whose threads a fork would lose, and which never imports pypiserver: see :func:`serve`),
then asks it for ``/health``; when either fails, the master is told why and serves the plain way.
"""

from __future__ import annotations

import atexit
import importlib.util
import os

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside import api_check, options, roles, tokens, uploads
else:  # run as a script from this folder, inside the image or as the local process
    import api_check
    import options
    import roles
    import tokens
    import uploads


def _page_modules():
    """The modules that import pypiserver (and bottle): only in the worker, or in the start check's child."""
    if __package__:
        from gui.services.server.inside import facts, fast_pages, file_facts, fresh_index, usage
    else:
        import facts
        import fast_pages
        import file_facts
        import fresh_index
        import usage
    return fast_pages, fresh_index, file_facts, facts, usage


def build_app(args: list[str], options: dict[str, str]):
    """pypiserver's app for ``args``, its lookups answered from a fresh index, behind PyPI Desk's pages."""
    import pypiserver
    from pypiserver.backend import BackendProxy
    from pypiserver.bottle_wrapper import request
    from pypiserver.config import Config

    fast_pages, fresh_index, file_facts, facts, usage = _page_modules()
    config = Config.from_args(args)
    checked = roles.VerifiedLogins(config.auther, config.password_file)  # one bcrypt per login, not per page
    auther = logins = checked
    store = _facts_store(facts, str(config.package_root))
    found = None
    if "--roles" in options:  # tokens.json lies beside roles.json
        on_use = store.token_used if store is not None else None
        found = tokens.Tokens(os.path.join(os.path.dirname(options["--roles"]), tokens.FILE_NAME),
                              config.password_file, on_use)  # fmt: skip
        logins = tokens.token_logins(checked, found)
        auther = roles.role_auther(checked, roles.Readers(options["--roles"]), lambda: request, found)
    app = pypiserver.app(**_app_kwargs(config), auther=auther)
    index = fresh_index.FreshIndex(
        config.package_root, config.hash_algo, file_facts.FileFactsCache(store, config.hash_algo)
    )
    served = app._pypiserver_config  # the config pypiserver's routes read
    if len(served.roots) == 1:  # its lookups (and uploads) through the index's backend: no walks, no partial files
        served.backend = BackendProxy(fresh_index.IndexedBackend(served, index))
    fallback = None if config.disable_fallback else config.fallback_url
    list_auther = logins if "list" in config.authenticate else None
    download_auther = logins if "download" in config.authenticate else None
    whole = uploads.WholeBodies(app)  # a POST reaches pypiserver only once all of it has arrived
    if "--roles" in options and not config.authenticate:  # no passwords: readers cannot be told apart
        whole = roles.NoPublishingWithoutPasswords(whole, roles.Readers(options["--roles"]))
    recorder = _recorder(usage, store, options)
    return fast_pages.FastPages(whole, index, fallback, list_auther, download_auther, recorder, _owner_of(found),
                                _pull_through(str(config.package_root), store, options))  # fmt: skip


def _pull_through(packages_root: str, store, options: dict[str, str]):
    """The cache of upstream's projects (``--upstream URL``), or None when names the index lacks are not fetched."""
    if not options.get("--upstream"):
        return None
    if __package__:
        from gui.services.server.inside import pull_through, upstream
    else:
        import pull_through
        import upstream
    minutes = options.get("--cache-minutes", "")
    ttl = 60.0 * (int(minutes) if minutes.isdigit() else 10)
    found = upstream.Upstream(options["--upstream"], options.get("--upstream-ca"),
                              options.get("--upstream-credentials"))  # fmt: skip
    return pull_through.PullThrough(packages_root, found, store, ttl)


def _recorder(usage, store, options: dict[str, str]):
    """What counts downloads (``--usage-days N`` keeps raw events N days; 0: nothing is recorded), written once
    more when the worker leaves."""
    given = options.get("--usage-days", "")
    keep_days = int(given) if given.isdigit() else usage.DEFAULT_KEEP_DAYS
    if store is None:
        return None
    if keep_days <= 0:  # what is downloaded from now on is nobody's record: the records stop being continuous
        usage.stop_recording(store)
        return None
    recorder = usage.DownloadRecorder(store, keep_days)
    atexit.register(recorder.close)
    return recorder


def _owner_of(found):
    """A valid token's user (downloads are counted for them), or None."""
    if found is None:
        return None

    def owner(token: str) -> str | None:
        entry = found.find(token, quiet=True)
        return entry.user if entry is not None else None

    return owner


def _facts_store(facts, packages_root: str):
    """The index database beside the files, opened now (made, or set aside and remade); None when it cannot be
    (a folder it may not write): the server then serves without upload times or yanks."""
    store = facts.FactsStore(packages_root)
    try:
        store.open()
    except Exception as exc:
        print(f"pypi-desk-facts: the index database cannot be opened ({exc}); serving without it", flush=True)
        return None
    return store


def _app_kwargs(config) -> dict:
    """The parsed command line as ``pypiserver.app`` keywords (its config's own properties)."""
    derived = set(getattr(config, "_derived_properties", ()))
    return {key: value for key, value in dict(config).items() if key not in derived}


def _masking_logger():
    """gunicorn's logger, with a user name that is a PyPI Desk token (``https://TOKEN@host/``, or the user and
    password swapped) logged as its id only: the access log never holds a token."""
    from gunicorn.glogging import Logger

    if __package__:
        from gui.services.server.inside.tokens import masked
    else:
        from tokens import masked

    class MaskingLogger(Logger):
        def _get_user(self, environ):
            return masked(super()._get_user(environ))

    return MaskingLogger


def serve(args: list[str], own: dict[str, str]) -> str | None:
    """Run :func:`build_app` under gunicorn (gevent when the image has it) until stopped. Returns why the app
    did not build in the worker (the caller then serves the plain way), or None once stopped.

    This master imports nothing of pypiserver's: bottle keeps its per-request state in thread-locals made at
    import, and gunicorn's gevent worker patches threading only after its fork. Imported here, that state
    was one for every request at once, and overlapping uploads broke each other."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError as exc:
        return f"gunicorn cannot be imported ({exc})"

    worker_class = "gevent" if importlib.util.find_spec("gevent") else "gthread"
    host, port, root = options.listen_address(args)
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    uploads.remove_partial_uploads(root)
    said, says = os.pipe()  # the worker's word, when its app does not build

    class Launcher(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": bind,
                "workers": 1,
                "worker_class": worker_class,
                "threads": 8 if worker_class == "gevent" else 32,  # gthread: each client a cache fetch waits on
                "preload_app": False,
                "accesslog": "-",  # every request with its real status code
                "errorlog": "-",
                "timeout": 600,  # a 500 MB upload on a slow line
            }.items():
                self.cfg.set(key, value)
            self.cfg.set("logger_class", _masking_logger())  # a token sent as a user name is never logged
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25: no socket file in the cwd
                self.cfg.set("control_socket_disable", True)
            if "--certfile" in own:  # HTTPS, spoken by gunicorn itself
                self.cfg.set("certfile", own["--certfile"])
                self.cfg.set("keyfile", own["--keyfile"])

        def load(self):
            try:
                app = build_app(args, own)
                api_check.check_built(app)
            except Exception as exc:
                os.write(says, api_check.why_not_built(exc).encode("utf-8", "replace")[:4000])
                raise
            return app

    master = os.getpid()
    try:
        Launcher().run()
    except SystemExit:
        if os.getpid() != master:  # the worker leaving (its stack is a fork of this one): let it
            raise
        os.set_blocking(said, False)
        try:
            reason = os.read(said, 8192).decode("utf-8", "replace")
        except BlockingIOError:
            reason = ""
        if reason:
            return reason
        raise
    return None
