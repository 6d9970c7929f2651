"""Dates that reports are "as of"."""

import argparse
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


def parse_date(text: str) -> dt.date:
    """A date written YYYY-MM-DD, or ValueError saying how to write it."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2020-06-04.") from None


def date_argument(text: str) -> dt.date:
    """`type=` for command-line date options."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def long_date(day: dt.date) -> str:
    """4 June 2020: the GOV.UK way of writing a date."""
    return f"{day.day} {day:%B %Y}"
