"""Settings, read from the environment (prefix PREPDECK_) or a .env file."""

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import paths

SECRET_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
SQLITE_FILE = "prepdeck.sqlite3"  # the database file in the data folder, by default
PLACEHOLDER_KEYS = {
    "",
    "changeme",
    "change-me",
    "change_me",
    "changethis",
    "secret",
    "secret-key",
    "secretkey",
    "your-secret-key",
    "your_secret_key",
    "please-change-me",
    "insecure",
    "prepdeck",
    "replace-me",
    "xxx",
}


class Settings(BaseSettings):
    """Every setting of prepdeck; each one is documented in README.md (a test checks it)."""

    model_config = SettingsConfigDict(
        env_prefix="PREPDECK_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the SQLite database and other files the app keeps.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; default a SQLite file in DATA_DIR.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs CSRF tokens; when unset, one is generated into DATA_DIR.",
    )
    content_dir: Path = Field(
        default=paths.CONTENT_DIR,
        description="Folder of decks (one sub-folder per deck); default the shipped content/.",
    )
    allow_signup: bool = Field(
        default=True,
        description="Whether anyone may sign up; the first user can always be created.",
    )
    signups_per_hour: int = Field(
        default=5,
        ge=0,
        description=(
            "Sign-ups allowed from one client address per hour (0: no limit); more get 429."
        ),
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark cookies Secure (sent over HTTPS only); set it when served over TLS.",
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto "
            "headers are believed (e.g. 127.0.0.1); empty trusts none."
        ),
    )
    warm_demos: bool = Field(
        default=True,
        description="Render every demo's default figure in the background at start.",
    )
    render_processes: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Processes that draw demo figures; 0: one per core, shared out among "
        "the server's workers.",
    )
    fsrs_fit_worker: bool = Field(
        default=True,
        description="Run queued FSRS parameter fits in a background worker of each app process.",
    )
    max_import_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest progress import accepted (bytes); other request bodies: 16 KiB.",
    )
    max_connections: int = Field(
        default=1000,
        ge=10,
        description=(
            "Open connections one server process keeps; past it, the longest-idle one is "
            "closed to make room."
        ),
    )
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="info", description="Log level of the app and the server."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lowercase_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("secret_key")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        key = value.get_secret_value()
        if key.strip().lower() in PLACEHOLDER_KEYS or len(key) < 32:
            raise ValueError(
                "the secret key is a placeholder or shorter than 32 characters; leave "
                "PREPDECK_SECRET_KEY unset to have one generated, or use the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value

    def secret(self) -> str:
        """Return the secret key: the setting, or the one kept in DATA_DIR (made on first use)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / SECRET_FILE
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # Create it readable by its owner only, and never overwrite one made meanwhile.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(key + "\n")
        return key

    @property
    def resolved_database_url(self) -> str:
        """Return DATABASE_URL, or the SQLite file in DATA_DIR when it is unset."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / SQLITE_FILE).resolve()}"


@lru_cache
def get_settings() -> Settings:
    """Return the settings of this process, read once."""
    return Settings()
