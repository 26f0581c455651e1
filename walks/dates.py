"""One date parser for every input: ISO 8601 text -> naive UTC, within a sane range of years.

The models store naive UTC. A time with an offset is converted; one without is taken in the zone the
caller names (UTC for the API, the deployment's zone for forms). Years outside MIN_YEAR..MAX_YEAR are
refused before any arithmetic, so no conversion can overflow.
"""
from __future__ import annotations

import datetime as dt
import re

from flask_babel import lazy_gettext as _l

from .web import DomainError

MIN_YEAR, MAX_YEAR = 2000, 2100
# An unencoded "+01:00" in a query string arrives as " 01:00".
_SPACE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


class DateError(DomainError):
    """Refused date or time; `message` says why, in words a person understands."""


def check_range(value: dt.date) -> dt.date:
    """The date or datetime unchanged, or DateError if its year is outside MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DateError(_l("The date must be between the years %(min)d and %(max)d.", min=MIN_YEAR,
                           max=MAX_YEAR))
    return value


def to_utc(value: dt.datetime, zone: dt.tzinfo = dt.timezone.utc) -> dt.datetime:
    """A datetime (aware, or naive in `zone`) as naive UTC, after checking its range."""
    check_range(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def parse_datetime(raw, zone: dt.tzinfo = dt.timezone.utc) -> dt.datetime:
    """ISO 8601 text (a date, or a date and time with or without an offset) -> naive UTC."""
    if not isinstance(raw, str) or len(raw) > 64:
        raise DateError(_l("The time is not a valid ISO 8601 date and time, such as 2025-05-01T18:30."))
    text = _SPACE_OFFSET.sub(r"+\1", raw.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise DateError(_l("The time is not a valid ISO 8601 date and time, such as 2025-05-01T18:30.")) \
            from None
    return to_utc(value, zone)
