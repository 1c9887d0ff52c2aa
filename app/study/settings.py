"""A user's study settings: retention, daily limits, timezone, when the day starts."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.models import User
from app.study.day import check_timezone


def _known_timezone(name: str) -> str:
    return check_timezone(name)  # raises BadTimezone (a ValueError) naming the fix


class StudySettings(BaseModel):
    """The settings page and PUT /api/v1/me/settings.

    Numbers are strict (JSON numbers only, no "20" or true); the settings form, which sends
    text, converts it with model_validate_strings.
    """

    model_config = ConfigDict(extra="forbid")

    desired_retention: float = Field(0.9, ge=0.70, le=0.97, strict=True, allow_inf_nan=False)
    new_per_day: int = Field(20, ge=0, le=9999, strict=True)
    reviews_per_day: int = Field(200, ge=0, le=99999, strict=True)
    timezone: Annotated[
        str, Field(max_length=64, description="an IANA name"), AfterValidator(_known_timezone)
    ] = "UTC"
    day_starts_at: int = Field(4, ge=0, le=23, strict=True)

    @classmethod
    def of(cls, user: User) -> "StudySettings":
        """Read a user's settings."""
        return cls(
            desired_retention=user.desired_retention,
            new_per_day=user.new_per_day,
            reviews_per_day=user.reviews_per_day,
            timezone=user.timezone,
            day_starts_at=user.day_starts_at,
        )

    def save(self, *, session: Session, user: User) -> None:
        """Store these settings for user."""
        for name, value in self.model_dump().items():
            setattr(user, name, value)
        session.commit()
