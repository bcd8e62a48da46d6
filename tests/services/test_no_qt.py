"""The service layer imports no Qt: it is shared by the command line and the window."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gui.services

SERVICES = Path(gui.services.__file__).parent


def test_no_service_module_imports_qt() -> None:
    offenders = []
    for module in sorted(SERVICES.rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [
                f"{module.name}: {name}"
                for name in names
                if name.split(".")[0] in ("PySide6", "gui")
                and (name.startswith("PySide6") or name.startswith(("gui.widgets", "gui.workers")))
            ]
    assert offenders == []


def test_command_line_runs_without_loading_qt() -> None:
    code = (
        "import sys, gui.cli, gui.services.server.service;"
        "sys.exit(1 if any(m.startswith('PySide6') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
