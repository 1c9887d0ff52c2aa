"""Where code may reach: domain packages without the web framework, pages without the API."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
FRAMEWORKS = ("fastapi", "starlette")


def imported_modules(path: Path) -> set[str]:
    """Return every module a source file imports, at any depth of the file."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def sources(package: str) -> list[Path]:
    return sorted((APP / package).rglob("*.py"))


@pytest.mark.parametrize("package", ["content", "study", "accounts", "rehearsal"])
def test_domain_packages_import_no_web_framework(package: str) -> None:
    files = sources(package)
    assert files
    offending = {
        str(path.relative_to(APP)): sorted(
            module for module in imported_modules(path) if module.split(".")[0] in FRAMEWORKS
        )
        for path in files
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_domain_packages_load_no_web_framework_through_their_imports() -> None:
    modules = [
        ".".join(("app", *path.relative_to(APP).with_suffix("").parts))
        for package in ("content", "study", "accounts", "rehearsal")
        for path in sources(package)
    ]
    # A fresh interpreter: this one has loaded the app (and so FastAPI) already.
    script = (
        f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & {set(FRAMEWORKS)!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_pages_import_nothing_from_the_api() -> None:
    offending = {
        str(path.relative_to(APP)): sorted(
            module for module in imported_modules(path) if module.startswith("app.api")
        )
        for path in sources("web")
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_imported_modules_sees_nested_and_from_imports(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text("def f():\n    from starlette.requests import Request\nimport fastapi\n")
    assert imported_modules(source) == {
        "starlette.requests",
        "starlette.requests.Request",
        "fastapi",
    }
