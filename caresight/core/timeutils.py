"""Dates that reports are "as of"."""

import datetime as dt

from django.utils import timezone


def parse_as_of(text: str | None) -> dt.date:
    """The date in `text` (YYYY-MM-DD), or today if it is missing or not a date."""
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    return timezone.localdate()
