"""A user's study settings: retention, daily limits, timezone, when the day starts."""

from typing import Annotated, Literal

import annotated_types
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from app.input_checks import JsonInt
from app.models import User
from app.study.day import check_timezone, timezone_names


def _known_timezone(name: str) -> str:
    return check_timezone(name)  # raises BadTimezone (a ValueError) naming the fix


class StudySettings(BaseModel):
    """The settings page and PUT /api/v1/me/settings.

    Numbers are JSON numbers only (no "20" or true); the settings form, which sends text, is
    converted with model_validate_strings in the TEXT_FORM context.
    """

    model_config = ConfigDict(extra="forbid")

    desired_retention: float = Field(0.9, ge=0.70, le=0.97, strict=True, allow_inf_nan=False)
    new_per_day: JsonInt = Field(20, ge=0, le=9999)
    reviews_per_day: JsonInt = Field(200, ge=0, le=99999)
    timezone: Annotated[
        str,
        Field(
            max_length=64,
            description="an IANA name such as Europe/Berlin",
            json_schema_extra={"enum": list(timezone_names())},
        ),
        AfterValidator(_known_timezone),
    ] = "UTC"
    day_starts_at: JsonInt = Field(4, ge=0, le=23)
    maximum_interval: JsonInt = Field(
        365, ge=1, le=36500, description="the longest interval, in days, a review may be put off"
    )
    leech_threshold: JsonInt = Field(
        8, ge=1, le=99, description="lapses after which a card is a leech"
    )
    leech_action: Literal["suspend", "tag"] = Field(
        "suspend", description="suspend a leech, or only tag it"
    )

    @classmethod
    def of(cls, user: User) -> "StudySettings":
        """Read a user's settings."""
        return cls(
            desired_retention=user.desired_retention,
            new_per_day=user.new_per_day,
            reviews_per_day=user.reviews_per_day,
            timezone=user.timezone,
            day_starts_at=user.day_starts_at,
            maximum_interval=user.maximum_interval,
            leech_threshold=user.leech_threshold,
            leech_action=user.leech_action,
        )

    def save(self, *, session: Session, user: User) -> None:
        """Store these settings for user."""
        for name, value in self.model_dump().items():
            setattr(user, name, value)
        session.commit()


# How the settings form's plain error messages name each field.
NAMES = {
    "desired_retention": "Desired retention",
    "new_per_day": "New cards per day",
    "reviews_per_day": "Reviews per day",
    "timezone": "Timezone",
    "day_starts_at": "The hour the next day starts at",
    "maximum_interval": "The maximum interval (days)",
    "leech_threshold": "The leech threshold (lapses)",
    "leech_action": "When a card becomes a leech",
}


def limits() -> dict[str, tuple[float, float]]:
    """Return the lowest and highest value of each numeric setting, read from the model."""
    found = {}
    for name, info in StudySettings.model_fields.items():
        low = [m.ge for m in info.metadata if isinstance(m, annotated_types.Ge)]
        high = [m.le for m in info.metadata if isinstance(m, annotated_types.Le)]
        if low and high:
            found[name] = (float(low[0]), float(high[0]))  # type: ignore[arg-type]
    return found


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def plain_message(name: str) -> str:
    """Return what a field of the settings form takes, as a sentence naming its limits."""
    label = NAMES.get(name, name)
    bounds = limits().get(name)
    if name == "desired_retention" and bounds:
        low, high = bounds
        return (
            f"{label} must be between {_percent(low)} and {_percent(high)}: "
            f"a number from {low:.2f} to {high:.2f}."
        )
    if bounds:
        low, high = bounds
        return f"{label} must be a whole number from {low:.0f} to {high:.0f}."
    if name == "timezone":
        return f"{label} must be a name from the list, such as Europe/Berlin or UTC."
    if name == "leech_action":
        return f"{label}: choose to tag and suspend it, or only to tag it."
    return f"{label} has a value this form does not take."


def plain_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Return one plain sentence per settings field the form got wrong, keyed by the field."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False, include_input=False):
        loc = error.get("loc", ())
        name = str(loc[0]) if loc else "desired_retention"
        errors.setdefault(name, [plain_message(name)])
    return errors
