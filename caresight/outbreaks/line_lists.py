"""Read public health line lists: one dated row per update on an outbreak at a service.

Headers are matched loosely (case, spaces and punctuation ignored, several names for each
column); the names accepted are listed in docs/data-formats.md. Reading only;
`services.outbreaks_import` writes.
"""

import datetime as dt
import re
from dataclasses import dataclass

from caresight.core.files import RowError, Table, match_columns

from .models import Kind

COLUMNS: dict[str, tuple[str, ...]] = {
    "cqc_location_id": ("cqc_location_id", "CQC location ID", "Location ID", "CQC ID",
                        "CQC number"),
    "date": ("date", "Update date", "Date of update", "Report date", "Date reported",
             "Situation date"),
    "suspected_or_confirmed": ("suspected_or_confirmed", "Suspected or confirmed",
                               "Confirmed or suspected", "Case status", "Outbreak status",
                               "Status"),
    "new_cases_residents": ("new_cases_residents", "New cases residents",
                            "New resident cases", "Resident cases", "New cases in residents"),
    "new_cases_staff": ("new_cases_staff", "New cases staff", "New staff cases", "Staff cases",
                        "New cases in staff"),
    "deaths": ("deaths", "New deaths", "Resident deaths", "Deaths residents"),
}
KINDS = {"suspected": Kind.SUSPECTED, "s": Kind.SUSPECTED, "confirmed": Kind.CONFIRMED,
         "c": Kind.CONFIRMED}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M:%S")
WHOLE = re.compile(r"^\d+(\.0+)?$")


@dataclass(frozen=True)
class Line:
    row: int
    cqc_id: str
    day: dt.date
    kind: str
    new_cases_residents: int
    new_cases_staff: int
    deaths: int


def parse(table: Table) -> tuple[list[Line], list[RowError], dict[str, str]]:
    """The file's lines, every problem found in its cells, and the file's heading per field.

    Raise ImportFileError if a required column is missing.
    """
    headings = match_columns(table.headers, COLUMNS, tuple(COLUMNS))
    lines, errors = [], []
    for number, raw in table.rows:
        cell = {name: (raw.get(heading) or "").strip() for name, heading in headings.items()}
        if not any(cell.values()):
            continue  # a blank row in a spreadsheet
        problems = []
        cqc_id = cell["cqc_location_id"].upper()
        if not cqc_id:
            problems.append((headings["cqc_location_id"], "is empty"))
        day = _date(cell["date"])
        if day is None:
            problems.append((headings["date"], (
                f"{cell['date']!r} is not a date like 2020-06-04 or 04/06/2020"
                if cell["date"] else "is empty")))
        kind = KINDS.get(cell["suspected_or_confirmed"].lower())
        if kind is None:
            problems.append((headings["suspected_or_confirmed"], (
                f"{cell['suspected_or_confirmed']!r} is neither suspected nor confirmed"
                if cell["suspected_or_confirmed"] else "is empty; say suspected or confirmed")))
        numbers = {}
        for name in ("new_cases_residents", "new_cases_staff", "deaths"):
            text = cell[name] or "0"
            if WHOLE.match(text):
                numbers[name] = int(float(text))
            else:
                problems.append((headings[name], f"{text!r} is not a whole number, 0 or more"))
        errors += [RowError(number, heading, message) for heading, message in problems]
        if not problems:
            lines.append(Line(number, cqc_id, day, kind, **numbers))  # type: ignore[arg-type]
    return lines, errors, headings


def _date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
