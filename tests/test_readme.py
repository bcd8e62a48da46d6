"""README.md promises tests by name: every test, file and script it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_test_readme_names_exists() -> None:
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", README)
    assert len(named) > 10
    for path, function in named:
        source = ROOT / path
        assert source.is_file(), f"README names {path}, which is not there"
        if function:
            functions = {
                node.name for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, ast.FunctionDef)
            }
            assert function in functions, f"README names {path}::{function}, which is not there"


def test_every_script_and_file_readme_names_exists() -> None:
    for path in set(re.findall(r"`((?:bench|docs|packaging|resources|\.ci)/[\w./-]+)`", README)):
        assert (ROOT / path).exists(), f"README names {path}, which is not there"
