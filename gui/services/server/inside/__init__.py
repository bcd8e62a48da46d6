"""Code that runs inside the server, with only what the server image has (its Python, pypiserver,
gunicorn, gevent): nothing here imports PyPI Desk's other modules. The container mounts this
folder read-only at /opt/pypi-desk; the local-process runtime and the bundle run it from here.
"""
