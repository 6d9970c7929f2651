"""Read public health line lists: one dated row per update on an outbreak at a service.

Headers are matched loosely (case, spaces and punctuation ignored, several names for each
column); the names accepted are listed in docs/data-formats.md. Reading only;
`services.outbreaks_import` writes.
"""

import re
from dataclasses import dataclass

from caresight.core.files import RowError, Table, file_date, match_columns
from caresight.core.imports import ImportRow

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
WHOLE = re.compile(r"^\d+(\.0+)?$")


@dataclass(kw_only=True)
class Line(ImportRow):
    kind: str
    new_cases_residents: int
    new_cases_staff: int
    deaths: int


def layout(fmt: str, headers: list[str]) -> dict[str, str]:
    """The file's heading per field; ImportFileError if a required column is missing."""
    return match_columns(headers, COLUMNS, tuple(COLUMNS))


def parse(table: Table) -> tuple[list[Line], list[RowError]]:
    """The file's lines and every problem found in their cells."""
    headings = table.layout or layout(table.format, table.headers)
    lines, errors = [], []
    for number, raw in table.rows:
        cell = {name: (raw.get(heading) or "").strip() for name, heading in headings.items()}
        if not any(cell.values()):
            continue  # a blank row in a spreadsheet
        problems = []
        cqc_id = cell["cqc_location_id"].upper()
        if not cqc_id:
            problems.append((headings["cqc_location_id"], "is empty"))
        try:
            day = file_date(cell["date"])
        except ValueError as exc:
            day = None
            problems.append((headings["date"], str(exc)))
        else:
            if day is None:
                problems.append((headings["date"], "is empty"))
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
            lines.append(Line(row=number, cqc_id=cqc_id, id_field=headings["cqc_location_id"],
                              day=day, date_field=headings["date"], kind=kind,  # type: ignore[arg-type]
                              **numbers))
    return lines, errors
