"""The layers of the app, read from the imports: arrows point down only.

app.py, views/  ->  ui/  ->  lessons/, quiz/  ->  quantlib/
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import views

ROOT = Path(__file__).resolve().parents[1]
UI_LIBRARIES = {"streamlit", "plotly", "pandas"}
# Lesson modules of pages: a shared ui/ module must not know any of them.
PAGE_LESSONS = {f"lessons.{page.key}" for page in views.PAGES} | {
    f"lessons.{page.key}_maths" for page in views.PAGES}
MAX_QUANTLIB_LINES = 400
ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).exists() else []


def imports(path: Path) -> set[str]:
    """Every module a file imports, absolute (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", python_files("quantlib"), ids=relative)
def test_quantlib_imports_only_numpy_ml_dtypes_and_itself(path):
    outside = {m for m in imports(path) if top(m) in {"lessons", "ui", "views", "quiz", "app"}
               | UI_LIBRARIES}
    assert outside == set()


@pytest.mark.parametrize("path", python_files("lessons") + python_files("quiz"), ids=relative)
def test_lessons_and_quiz_import_no_ui_library(path):
    assert {m for m in imports(path) if top(m) in UI_LIBRARIES | {"ui", "views", "app"}} == set()


@pytest.mark.parametrize("path", python_files("ui"), ids=relative)
def test_shared_ui_modules_know_no_page(path):
    found = imports(path)
    assert {m for m in found if top(m) in {"views", "app"}} == set()
    assert {m for m in found if any(m == p or m.startswith(p + ".") for p in PAGE_LESSONS)} \
        == set()


@pytest.mark.parametrize("path", python_files("quantlib"), ids=relative)
def test_no_quantlib_module_is_over_400_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_QUANTLIB_LINES


PAGE_FILES = [ROOT / page.path for page in views.PAGES if page.path]


@pytest.mark.parametrize("path", PAGE_FILES, ids=relative)
def test_page_files_do_no_arithmetic(path):
    """A page reads controls, calls a lesson and renders: numbers come computed."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sums = [ast.unparse(node) for node in ast.walk(tree)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ARITHMETIC)]
    assert sums == []
    assert not {m for m in imports(path) if top(m) in {"numpy", "math", "quantlib"}
                and m not in {"quantlib", "quantlib._validate", "quantlib._validate.CodedError"}}
