"""Clients: how twine, pip and uv on this machine reach the server.

Facade: :class:`gui.services.clients.service.ClientService`. ``pypirc_reader`` is the one
reader of ``~/.pypirc`` (twine's rules); ``pypirc`` edits one section in place;
``snippets`` holds the pip and uv lines.
"""
