"""How the tests are laid out: shared code lives in tests/helpers/, so a test module can be
moved, renamed or run alone without breaking another (issue 14)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_test_module_imports_another():
    offenders = {
        path.name: sorted(
            name
            for name in _imported_modules(path)
            if name.startswith("tests.test_") or name == "tests.conftest"
        )
        for path in sorted(TESTS.glob("*.py"))
    }
    assert {name: found for name, found in offenders.items() if found} == {}
    helpers = {path.name: _imported_modules(path) for path in (TESTS / "helpers").glob("*.py")}
    assert not {
        name for name, found in helpers.items() if any(m.startswith("tests.test_") for m in found)
    }
