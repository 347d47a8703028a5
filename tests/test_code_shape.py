"""Modules and functions that can be read in one sitting: no source module over 400 lines (migrations
aside), no function over 60 lines without a one-line reason on its ``def`` line (``# long: why``, or ``# noqa: C901 - long: why``).
Cyclomatic complexity over 15 is ruff's C901 (configured in pyproject.toml), with ``# noqa: C901 why``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "ingest", "knowledge", "reminders", "bot", "cchc")
MAX_MODULE = 400
MAX_FUNCTION = 60


def _sources() -> list[Path]:
    return [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "migrations" not in p.parts]


def test_modules_fit_in_one_sitting() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _sources() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE}
    assert not long, f"modules over {MAX_MODULE} lines (split them by job): {long}"


def test_functions_fit_in_one_sitting_or_say_why() -> None:
    long = []
    for path in _sources():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                head = " ".join(lines[node.lineno - 1 : (node.body[0].lineno - 1) or node.lineno])
                if size > MAX_FUNCTION and not re.search(r"#.*\blong:", head):
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({size} lines)")
    assert not long, "functions over 60 lines without a '# long: reason' on the def line:\n" + "\n".join(long)
