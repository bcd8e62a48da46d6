"""The server: one data folder's pypiserver, in a Docker container or as a local process.

Facade: :class:`gui.services.server.service.ServerService` (settings, start, stop, status,
logs). ``gui.services.index`` says what to run and where the data is; ``command``
builds pypiserver's arguments; ``container`` and ``process`` are the two runtimes, with
their logs in ``container_log`` and ``file_log``.
"""
