"""The core's modules import each other without cycles (module-level imports; a lazy import inside a function
is how one area asks another for a rarely used piece, and is not counted), and the file names every area
uses live in one leaf module."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "gui" / "services"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SERVICES.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:  # only the module's own statements: not functions, not TYPE_CHECKING blocks
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in known}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk of ``graph`` meets, as the names along it."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_no_module_level_import_cycle_in_the_core() -> None:
    modules = {_module_name(path): path for path in SERVICES.rglob("*.py") if "inside" not in path.parts}
    graph = {name: _top_level_imports(path, set(modules)) - {name} for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_file_names_are_defined_once() -> None:
    for name in ("PASSWORD_FILE_NAME", "ROLES_FILE_NAME", "SETTINGS_FILE_NAME", "SERVER_UID"):
        defined = [path.name for path in SERVICES.rglob("*.py") if f"\n{name} = " in path.read_text(encoding="utf-8")]
        assert defined == ["names.py"], name


def _area(module: str) -> str:
    """The area a module belongs to: ``server``, ``volume``, …; the code that runs inside the server is its own."""
    parts = module.split(".")[2:]
    if parts[:2] == ["server", "inside"]:
        return "server.inside"
    return parts[0] if parts else ""


def test_the_areas_depend_on_each_other_one_way() -> None:
    """Counting every import, lazy ones too: index and names below everything, server above volume, tls and
    engines, never the other way round."""
    edges: dict[str, set[str]] = {}
    for path in SERVICES.rglob("*.py"):
        source = _area(_module_name(path))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gui.services."):
                target = _area(node.module)
                if target != source and "." in node.module[len("gui.services.") :]:  # an area, not a top module
                    edges.setdefault(source, set()).add(target)
    assert _cycles(edges) == []
