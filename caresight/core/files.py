"""Reading uploaded tables (CSV, XLSX, ODS, JSON, JSON lines) the same way for every import.

Every value is read as text (money included) so that nothing passes through a float; the
import that owns the columns turns text into dates, whole numbers or `Decimal`.
"""

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import openpyxl


class ImportFileError(ValueError):
    """The file as a whole cannot be read (empty, binary, wrong columns)."""


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.field}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class Table:
    """Rows of a file: for JSON, parsed objects; for sheets, {header: text} dicts.

    `row_number` is what a person sees: the line of a JSON lines file, the index (from 1) of
    an object in a JSON array, or the spreadsheet row (the header is row 1).
    """

    format: str
    headers: list[str]
    rows: list[tuple[int, dict]]


def normalise_header(header: object) -> str:
    """Match headers case- and punctuation-insensitively: "CQC Location ID" -> "cqclocationid"."""
    return re.sub(r"[^a-z0-9]", "", str(header or "").lower())


def detect_format(data: bytes, file_name: str = "") -> str:
    if not data or not data.strip():
        raise ImportFileError("The file is empty.")
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile as exc:
            raise ImportFileError("The file looks like a spreadsheet but is damaged.") from exc
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        if "content.xml" in names:
            return "ods"
        raise ImportFileError("The file is a zip archive, not a CSV, XLSX, ODS or JSON file.")
    if b"\x00" in data[:4096]:
        raise ImportFileError(
            "The file is not a CSV, XLSX, ODS, JSON or JSON lines file (it contains binary data)."
        )
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"[":
        return "json"
    if head == b"{":
        return "jsonl"
    return "csv"


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets saved as CSV on Windows are often Windows-1252.
        return data.decode("cp1252", errors="strict")


def read_table(data: bytes, file_name: str = "") -> Table:
    """Read a whole file into rows, or raise ImportFileError saying why it cannot be read."""
    fmt = detect_format(data, file_name)
    try:
        if fmt == "json":
            return _read_json(data)
        if fmt == "jsonl":
            return _read_jsonl(data)
        if fmt == "xlsx":
            return _read_xlsx(data)
        if fmt == "ods":
            return _read_ods(data)
        return _read_csv(data)
    except UnicodeDecodeError as exc:
        raise ImportFileError("The file is not text in UTF-8 or Windows-1252.") from exc
    except csv.Error as exc:
        raise ImportFileError(f"The CSV cannot be read: {exc}.") from exc
    except RecursionError as exc:
        raise ImportFileError("The JSON is nested too deeply to be location data.") from exc


def _read_json(data: bytes) -> Table:
    try:
        parsed = json.loads(decode_text(data))
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"The JSON is not valid: {exc.msg} (line {exc.lineno}).") from exc
    if not isinstance(parsed, list):
        raise ImportFileError("The JSON must be an array of objects.")
    rows = []
    for index, item in enumerate(parsed, start=1):
        if not isinstance(item, dict):
            raise ImportFileError(f"Item {index} of the JSON array is not an object.")
        rows.append((index, item))
    return Table("json", [], rows)


def _read_jsonl(data: bytes) -> Table:
    rows = []
    for number, line in enumerate(decode_text(data).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"Line {number} is not valid JSON: {exc.msg}.") from exc
        if not isinstance(item, dict):
            raise ImportFileError(f"Line {number} is not a JSON object.")
        rows.append((number, item))
    return Table("jsonl", [], rows)


def _sheet_rows(header: list, body: Iterator[tuple[int, list]], fmt: str) -> Table:
    headers = [str(h).strip() if h is not None else "" for h in header]
    if not any(headers):
        raise ImportFileError("The first row must hold the column headings.")
    seen: dict[str, str] = {}
    for heading in filter(None, headers):
        key = normalise_header(heading)
        if key in seen:
            raise ImportFileError(f"The columns {seen[key]!r} and {heading!r} have the same "
                                  "heading; remove or rename one.")
        seen[key] = heading
    rows = []
    for number, values in body:
        cells = ["" if v is None else str(v).strip() for v in values]
        if not any(cells):
            continue
        cells += [""] * (len(headers) - len(cells))
        rows.append((number, {h: c for h, c in zip(headers, cells, strict=False) if h}))
    return Table(fmt, [h for h in headers if h], rows)


def _read_csv(data: bytes) -> Table:
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ImportFileError("The file is empty.") from exc
    return _sheet_rows(header, ((n, r) for n, r in enumerate(reader, start=2)), "csv")


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if hasattr(value, "date") and hasattr(value, "hour"):  # a datetime from a date cell
        return value.date().isoformat() if not (value.hour or value.minute) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError("The spreadsheet cannot be opened; is it a valid XLSX file?") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration as exc:
        raise ImportFileError("The spreadsheet's first sheet is empty.") from exc
    body = ((n, [_cell_text(v) for v in r]) for n, r in enumerate(rows, start=2))
    table = _sheet_rows(list(header), body, "xlsx")
    workbook.close()
    return table


def _read_ods(data: bytes) -> Table:
    import tablib

    try:
        dataset = tablib.Dataset().load(io.BytesIO(data), format="ods", headers=False)
    except Exception as exc:
        raise ImportFileError("The spreadsheet cannot be opened; is it a valid ODS file?") from exc
    if not dataset.height:
        raise ImportFileError("The spreadsheet's first sheet is empty.")
    all_rows = [[_cell_text(v) for v in row] for row in dataset]
    return _sheet_rows(all_rows[0], ((n, r) for n, r in enumerate(all_rows[1:], start=2)), "ods")


def match_columns(
    headers: list[str], aliases: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> dict[str, str]:
    """Map each field to the file's header for it, by normalised alias.

    Raise ImportFileError naming every required field that has no column.
    """
    by_normal = {normalise_header(h): h for h in headers}
    found = {}
    for field, names in aliases.items():
        for name in names:
            if normalise_header(name) in by_normal:
                found[field] = by_normal[normalise_header(name)]
                break
    missing = [field for field in required if field not in found]
    if missing:
        wanted = "; ".join(f"{f} (any of: {', '.join(aliases[f])})" for f in missing)
        raise ImportFileError(f"Required columns are missing: {wanted}.")
    return found
