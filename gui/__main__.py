"""Allows `python -m gui`, the same as the `pypi-desk` command."""

import sys

from gui.cli import main

sys.exit(main())
