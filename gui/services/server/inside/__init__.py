"""Code that runs inside the server, with only what the server image has (its Python, pypiserver,
gunicorn, gevent): nothing here imports PyPI Desk's other modules. The container mounts this
folder read-only at /opt/pypi-desk; the local-process runtime and the bundle run it from here.
"""

from pathlib import Path

#: This folder: the container mounts it read-only (a folder's server) or the app copies it into the volume.
LAUNCHER_DIR = Path(__file__).resolve().parent
