"""Read the national Capacity Tracker exports: which mapping a file follows, and each row's
service, date and answers. Reading only; `services.capacity_tracker_import` writes.

The mappings (column -> measure) are data: data/capacity_tracker.json, listed in
docs/data-formats.md.
"""

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from caresight.core.files import ImportFileError, RowError, Table, date_in_range, normalise_header
from caresight.core.imports import ImportRow

MAPPINGS_FILE = Path(__file__).resolve().parent / "data" / "capacity_tracker.json"
LONDON = zoneinfo.ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Mapping:
    name: str
    service_group: str
    location_column: str
    date_column: str
    columns: dict[str, str]  # normalised heading -> measure code
    not_imported: dict[str, str]
    spelling: dict[str, str]  # normalised heading -> as the tracker spells it

    def needed(self) -> list[str]:
        return [self.location_column, self.date_column, *self.columns]


@dataclass(kw_only=True)
class TrackerRow(ImportRow):
    day: dt.date  # every row the parser keeps is dated
    answers: dict[str, str]  # measure code -> the cell's text
    headings: dict[str, str]  # measure code -> the file's heading, for messages
    service_group: str  # the export's (care homes or community)
    export_name: str

    @property
    def for_date(self) -> dt.date | None:
        return self.day


@cache
def mappings() -> tuple[Mapping, ...]:
    raw = json.loads(MAPPINGS_FILE.read_text("utf-8"))
    return tuple(
        Mapping(
            name=m["name"], service_group=m["service_group"],
            location_column=normalise_header(m["location_column"]),
            date_column=normalise_header(m["date_column"]),
            columns={normalise_header(k): v for k, v in m["columns"].items()},
            not_imported={normalise_header(k): v for k, v in m.get("not_imported", {}).items()},
            spelling={normalise_header(k): k for k in [
                m["location_column"], m["date_column"], *m["columns"]]},
        )
        for m in raw["mappings"]
    )


def mapping_for(headers: list[str]) -> Mapping:
    """The first mapping whose columns the file has, or ImportFileError naming what is missing."""
    present = {normalise_header(h) for h in headers}
    closest: tuple[int, Mapping, list[str]] | None = None
    for mapping in mappings():
        missing = [c for c in mapping.needed() if c not in present]
        if not missing:
            return mapping
        if closest is None or len(missing) < closest[0]:
            closest = (len(missing), mapping, missing)
    assert closest is not None
    _, mapping, missing = closest
    raise ImportFileError(
        "The columns match neither Capacity Tracker export (care home or community). The "
        f"nearest is the {mapping.name}, which also needs: "
        f"{', '.join(mapping.spelling[c] for c in missing)}."
    )


def layout(fmt: str, headers: list[str]) -> Mapping:
    """The export the headers follow; checked before any row is read."""
    if fmt in ("json", "jsonl"):
        raise ImportFileError("The Capacity Tracker exports are CSV or spreadsheet files with "
                              "a heading row, not JSON.")
    return mapping_for(headers)


def parse(table: Table) -> tuple[list[TrackerRow], list[RowError]]:
    """Split a table into rows of answers; date and ID problems are row errors."""
    mapping: Mapping = table.layout or layout(table.format, table.headers)
    heading_of = {normalise_header(h): h for h in table.headers}
    id_heading, date_heading = heading_of[mapping.location_column], heading_of[mapping.date_column]
    answer_headings = {code: heading_of[column] for column, code in mapping.columns.items()}
    records, errors = [], []
    days: dict[str, dt.date] = {}  # a day's rows share few timestamps
    for number, cells in table.rows:
        cqc_id = (cells.get(id_heading) or "").strip()
        if not cqc_id:
            errors.append(RowError(number, id_heading, "The CQC location ID is missing"))
            continue
        stamp = cells.get(date_heading) or ""
        try:
            for_date = days.get(stamp) or days.setdefault(stamp, tracker_date(stamp))
        except ValueError as exc:
            errors.append(RowError(number, date_heading, str(exc)))
            continue
        records.append(TrackerRow(
            row=number, cqc_id=cqc_id, id_field=id_heading, day=for_date,
            date_field=date_heading,
            answers={code: cells.get(heading, "") for code, heading in answer_headings.items()},
            headings=answer_headings, service_group=mapping.service_group,
            export_name=mapping.name,
        ))
    return records, errors


def tracker_date(text: str) -> dt.date:
    """The UK day of a tracker timestamp ("2020-06-04T23:15:00Z" is 5 June in summer time)."""
    text = text.strip()
    if not text:
        raise ValueError("The date of the answers is missing")
    # Only a text with a slash can be a UK date, and strptime is slow to fail.
    for parse_uk in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y") if "/" in text else ():
        try:
            moment = dt.datetime.strptime(text, parse_uk)
            break
        except ValueError:
            continue
    else:
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{text!r} is not a date and time (like 2020-06-04T09:15:00Z or "
                             "04/06/2020 09:15)") from None
    date_in_range(moment.date(), text)  # before any arithmetic: 0001-01-01 or 9999-12-31
    if len(text) <= 10:  # a date alone
        return moment.date()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # the exports' times are UTC
    return moment.astimezone(LONDON).date()
