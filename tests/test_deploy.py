"""The Dockerfile and docker-compose.yml: lint-clean, and the same install as the README."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run(
        [hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    stages = [line for line in DOCKERFILE.splitlines() if line.startswith("FROM ")]
    assert stages == ["FROM python:3.11-slim AS build", "FROM python:3.11-slim"]
    assert "USER 10001" in DOCKERFILE
    assert 'VOLUME ["/data"]' in DOCKERFILE
    assert "PREPDECK_DATA_DIR=/data" in DOCKERFILE
    assert "HEALTHCHECK" in DOCKERFILE
    assert "/healthz" in DOCKERFILE
    assert 'CMD ["prepdeck", "serve", "--host", "0.0.0.0", "--port", "8000"]' in DOCKERFILE


def test_dockerfile_installs_as_the_readme_does() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install . && prepdeck serve" in readme
    # The dependencies first (their own layer), then the project itself: `pip install .`.
    assert "pip install --requirement requirements.txt" in DOCKERFILE
    assert 'pip install --no-deps ".[postgres]"' in DOCKERFILE
    assert DOCKERFILE.index("COPY pyproject.toml") < DOCKERFILE.index("COPY . .")


def test_compose_runs_sqlite_by_default_and_postgres_in_a_profile() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert "profiles" not in services["app"]
    assert "PREPDECK_DATABASE_URL" not in services["app"]["environment"]
    assert services["app"]["volumes"] == ["prepdeck-data:/data"]
    assert services["postgres"]["profiles"] == ["postgres"]
    app_pg = services["app-pg"]
    assert app_pg["profiles"] == ["postgres"]
    assert "@postgres:5432/prepdeck" in app_pg["environment"]["PREPDECK_DATABASE_URL"]
    assert app_pg["depends_on"]["postgres"]["condition"] == "service_healthy"
