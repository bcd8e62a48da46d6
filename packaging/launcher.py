"""The frozen app's entry scripts: ``pypi-desk`` (console) and ``pypi-desk-gui`` (windowed).

The spec builds this file twice; the executable's own name says which entry point it is.
"""

import sys
from pathlib import Path

from gui.cli import gui_main, main

if __name__ == "__main__":
    windowed = Path(sys.executable).stem == "pypi-desk-gui"
    sys.exit(gui_main() if windowed else main())
