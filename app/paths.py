"""Locate the templates, static files, shipped decks and migrations.

In a source checkout (and an editable install) they sit at the top of the repository;
an installed wheel carries them in ``app/_bundled``.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE / "_bundled"
_ROOT = _BUNDLED if _BUNDLED.is_dir() else _PACKAGE.parent

TEMPLATES_DIR = _ROOT / "templates"
STATIC_DIR = _ROOT / "static"
CONTENT_DIR = _ROOT / "content"
MIGRATIONS_DIR = _ROOT / "migrations"
