"""Dates that reports are "as of", and the range of dates Caresight accepts."""

import argparse
import datetime as dt

# Every date read from a person (a query string, a form, the command line) lies in this
# range: far enough either side of the records to be any real day, near enough that a day
# or a year added to it stays a date.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


def long_date(day: dt.date) -> str:
    """4 June 2020: the GOV.UK way of writing a date."""
    return f"{day.day} {day:%B %Y}"


def out_of_range_message(label: str = "The date") -> str:
    return (f"{label} must be between {long_date(EARLIEST_DATE)} and "
            f"{long_date(LATEST_DATE)}")


def check_date_range(day: dt.date, label: str = "The date") -> dt.date:
    """`day`, or ValueError if it lies outside the range Caresight accepts."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(out_of_range_message(label))
    return day


def parse_date(text: str, label: str = "The date") -> dt.date:
    """A date written YYYY-MM-DD within the accepted range, or ValueError saying what is
    wrong."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2020-06-04.") from None
    return check_date_range(day, label)


def date_argument(text: str) -> dt.date:
    """`type=` for command-line date options."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
