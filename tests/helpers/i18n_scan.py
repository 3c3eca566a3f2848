"""The English templates the code shows: every `_("...")`, `N_("...")`, `ngettext("...", "...")`
and every key description of a `Binding(...)` in kiosk/ and screens/ (an AST scan)."""

from __future__ import annotations

import ast
import string
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("kiosk", "screens")


def _text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def templates_in(source: str, where: str) -> dict[str, str]:
    """template -> first place it is used ("path:line")."""
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        texts: list[str | None] = []
        if name in ("_", "N_") and node.args:
            texts = [_text(node.args[0])]
        elif name == "ngettext" and len(node.args) >= 2:
            texts = [_text(node.args[0]), _text(node.args[1])]
        elif name == "Binding":
            description = node.args[2] if len(node.args) >= 3 else None
            for keyword in node.keywords:
                if keyword.arg == "description":
                    description = keyword.value
            texts = [_text(description)]
        for text in texts:
            if text:
                found.setdefault(text, f"{where}:{node.lineno}")
    return found


def all_templates() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            for text, place in templates_in(path.read_text(encoding="utf-8"), where).items():
                found.setdefault(text, place)
    return found


def placeholders(template: str) -> set[str]:
    """The {names} of a template (format specs aside); '{{' is a literal brace."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError:
        return {"<unbalanced braces>"}
