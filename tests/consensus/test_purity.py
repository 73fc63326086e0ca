"""node.consensus must stay a pure state machine: standard library only, and none of the parts
of it that do I/O, read clocks, start threads or draw their own randomness."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "node" / "consensus"
FORBIDDEN = {
    "asyncio", "io", "os", "pathlib", "select", "selectors", "socket", "ssl", "subprocess",
    "threading", "multiprocessing", "concurrent", "time", "datetime", "secrets", "logging",
    "signal", "shutil", "tempfile", "sqlite3",
}  # fmt: skip


def imports(path: Path) -> list[str]:
    out: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module)
    return out


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_standard_library_only_and_no_io(path: Path) -> None:
    for name in imports(path):
        top = name.split(".")[0]
        assert top in sys.stdlib_module_names or top == "__future__", f"{path.name}: {name}"
        assert top not in FORBIDDEN, f"{path.name} imports {name}"


def test_randomness_is_only_injected() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Name) and owner.id == "random":
                    pytest.fail(f"{path.name} calls random.{node.func.attr}() itself")


def test_modules_stay_small() -> None:
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name
