"""Packages: what the index hosts, and getting files into it and out of it.

Facade: :class:`gui.services.packages.service.PackageService` (list, upload a batch of
files and project folders, delete a version). ``filenames`` parses distribution names
for everything else here; ``listing`` and ``watcher`` read packages/; ``distribution``
checks a file before it is sent; ``build`` builds a project folder; ``transport``
speaks the server's upload API.
"""
