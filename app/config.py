"""Settings, read from the environment (prefix PREPDECK_) or a .env file."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import paths


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
    content_dir: Path = Field(
        default=paths.CONTENT_DIR,
        description="Folder of decks (one sub-folder per deck); default the shipped content/.",
    )
    allow_signup: bool = Field(
        default=True,
        description="Whether anyone may sign up; the first user can always be created.",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark cookies Secure (sent over HTTPS only); set it when served over TLS.",
    )
    warm_demos: bool = Field(
        default=True,
        description="Render every demo's default figure in the background at start.",
    )
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="info", description="Log level of the app and the server."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lowercase_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def resolved_database_url(self) -> str:
        """Return DATABASE_URL, or the SQLite file in DATA_DIR when it is unset."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'prepdeck.sqlite3').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """Return the settings of this process, read once."""
    return Settings()
