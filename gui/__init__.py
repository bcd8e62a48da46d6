"""PyPI Desk: a private Python package index (pypiserver) managed from a desktop window."""

__version__ = "0.1.0"

APP_ID = "io.github.pypidesk.PyPIDesk"
APP_NAME = "PyPI Desk"
