"""The frozen app's entry script: the same ``main`` as the ``pypi-desk`` command."""

import sys

from gui.cli import main

if __name__ == "__main__":
    sys.exit(main())
