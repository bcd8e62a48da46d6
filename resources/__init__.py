"""PyPI Desk's icons and stylesheets, installed as the ``gui.resources`` package."""
