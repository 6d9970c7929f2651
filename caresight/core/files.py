"""Reading uploaded tables (CSV, XLSX, ODS, JSON, JSON lines) the same way for every import.

Every value is read as text (money included) so that nothing passes through a float; the
import that owns the columns turns text into dates, whole numbers or `Decimal`.

Limits are enforced while reading, never after: the file's size; for spreadsheets (zip
archives) the uncompressed size their members declare and, as the sheet is streamed, a running
total of what has been read; the number of columns (checked on the heading row, before any
other row is read) and of rows. Rows are yielded one at a time, so a file that breaks a limit
part-way is refused without its rows having been held in memory. The limits are settings
(`CARESIGHT_IMPORT_*`, see config/settings/base.py).
"""

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings


class ImportFileError(ValueError):
    """The file as a whole cannot be read (empty, binary, too large, wrong columns)."""


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.field}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Limits:
    """How much of a file an import will read; past any of them the file is refused."""

    file_bytes: int
    uncompressed_bytes: int
    rows: int
    columns: int
    zip_members: int = 10_000

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            file_bytes=settings.CARESIGHT_MAX_IMPORT_BYTES,
            uncompressed_bytes=settings.CARESIGHT_IMPORT_MAX_UNCOMPRESSED_BYTES,
            rows=settings.CARESIGHT_IMPORT_MAX_ROWS,
            columns=settings.CARESIGHT_IMPORT_MAX_COLUMNS,
        )


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.0f} MB" if n >= 1_000_000 else f"{n:,} bytes"


@dataclass
class Table:
    """Rows of a file: for JSON, parsed objects; for sheets, {header: text} dicts.

    `rows` is read once, lazily: each row is read (and the limits checked) as it is asked for.
    `row_number` is what a person sees: the line of a JSON lines file, the index (from 1) of
    an object in a JSON array, or the spreadsheet row (the header is row 1). `layout` is what
    the import's header check returned. `rows_read` counts the rows yielded so far.
    For JSON, `headers` are the keys of the first object.
    """

    format: str
    headers: list[str]
    rows: Iterator[tuple[int, dict]]
    layout: Any = None
    rows_read: int = 0

    def __post_init__(self) -> None:
        self.rows = self._counted(self.rows)

    def _counted(self, rows: Iterator[tuple[int, dict]]) -> Iterator[tuple[int, dict]]:
        for item in rows:
            self.rows_read += 1
            yield item


# (format, headers) -> the import's layout (say, which column holds what), or ImportFileError.
HeaderCheck = Callable[[str, list[str]], Any]


_NOT_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9]")


def normalise_header(header: object) -> str:
    """Match headers case- and punctuation-insensitively: "CQC Location ID" -> "cqclocationid"."""
    return _NOT_LETTER_OR_DIGIT.sub("", str(header or "").lower())


def detect_format(data: bytes, file_name: str = "") -> str:
    if not data or not data.strip():
        raise ImportFileError("The file is empty.")
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError) as exc:
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


def _encoding(data: bytes) -> str:
    """UTF-8 if the whole file decodes as UTF-8 (checked without copying it), else cp1252."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(data[start:start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"  # spreadsheets saved as CSV on Windows often are
    return "utf-8-sig"


def _text_stream(data: bytes) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding=_encoding(data), errors="strict",
                            newline="")


def read_table(data: bytes, file_name: str = "", *, limits: Limits | None = None,
               check_headers: HeaderCheck | None = None) -> Table:
    """Open a file and check its headers; its rows are read, within the limits, as they are used.

    Raise ImportFileError saying why the file cannot be read: here for what is wrong with the
    file as a whole or its headers, and while the rows are read for a limit passed part-way.
    """
    limits = limits or Limits.from_settings()
    if len(data) > limits.file_bytes:
        raise ImportFileError(f"The file is {_mb(len(data))}; the most an import reads is "
                              f"{_mb(limits.file_bytes)}.")
    fmt = detect_format(data, file_name)
    with _file_errors():
        if fmt == "json":
            table = _read_json(data, limits)
        elif fmt == "jsonl":
            table = _read_jsonl(data, limits)
        elif fmt == "xlsx":
            table = _read_xlsx(data, limits)
        elif fmt == "ods":
            table = _read_ods(data, limits)
        else:
            table = _read_csv(data, limits)
    if check_headers is not None:
        table.layout = check_headers(table.format, table.headers)
    table.rows = _translated_errors(table.rows)
    return table


@contextlib.contextmanager
def _file_errors() -> Iterator[None]:
    """A reader's own errors, as what is wrong with the file (on opening, and row by row)."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise ImportFileError("The file is not text in UTF-8 or Windows-1252.") from exc
    except csv.Error as exc:
        raise ImportFileError(f"The CSV cannot be read: {exc}.") from exc
    except RecursionError as exc:
        raise ImportFileError("The JSON is nested too deeply to be location data.") from exc


def _translated_errors(rows: Iterator[tuple[int, dict]]) -> Iterator[tuple[int, dict]]:
    with _file_errors():
        yield from rows


def _too_many_rows(limits: Limits) -> ImportFileError:
    return ImportFileError(f"The file has more than {limits.rows:,} rows, the most an import "
                           "reads; split it into smaller files.")


def _too_many_columns(limits: Limits, where: str = "") -> ImportFileError:
    return ImportFileError(f"The file has more than {limits.columns:,} columns{where}, the most "
                           "an import reads.")


# --- JSON ---------------------------------------------------------------------------------


def _json_item(item: object, what: str, limits: Limits, kind: str = "a JSON object") -> dict:
    if not isinstance(item, dict):
        raise ImportFileError(f"{what} is not {kind}.")
    if len(item) > limits.columns:
        raise _too_many_columns(limits, f" ({what.lower()} has {len(item):,} fields)")
    return item


def _read_json(data: bytes, limits: Limits) -> Table:
    text = data.decode(_encoding(data))
    decoder = json.JSONDecoder()
    whitespace = re.compile(r"[\s,]*")
    start = text.index("[") + 1

    def items() -> Iterator[tuple[int, dict]]:
        # One object at a time, so a huge array is refused at the row limit, not after parsing.
        position, index = whitespace.match(text, start).end(), 0  # type: ignore[union-attr]
        while position < len(text) and text[position] != "]":
            try:
                item, position = decoder.raw_decode(text, position)
            except json.JSONDecodeError as exc:
                raise ImportFileError(f"The JSON is not valid: {exc.msg} (line {exc.lineno})."
                                      ) from exc
            index += 1
            if index > limits.rows:
                raise _too_many_rows(limits)
            yield index, _json_item(item, f"Item {index} of the JSON array", limits, "an object")
            position = whitespace.match(text, position).end()  # type: ignore[union-attr]
        if position >= len(text) or text[position + 1:].strip():
            raise ImportFileError("The JSON is not valid: the array is not closed by ] at the "
                                  "end of the file.")

    return _peeked("json", items())


def _json_line(line: str, number: int) -> object:
    """One line's JSON: by orjson (a national CQC file's 30,000 lines in a third of the time),
    or, where orjson refuses it, as the standard library reads it (NaN, huge numbers) and
    with its message."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            return json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"Line {number} is not valid JSON: {exc.msg}.") from exc


def _read_jsonl(data: bytes, limits: Limits) -> Table:
    if data.count(b"\n") + 1 > limits.rows and _count_lines(data) > limits.rows:
        raise _too_many_rows(limits)

    def items() -> Iterator[tuple[int, dict]]:
        count = 0
        for number, line in enumerate(_text_stream(data), start=1):
            if not line.strip():
                continue
            count += 1
            if count > limits.rows:
                raise _too_many_rows(limits)
            yield number, _json_item(_json_line(line, number), f"Line {number}", limits)

    return _peeked("jsonl", items())


def _count_lines(data: bytes) -> int:
    return sum(1 for line in io.BytesIO(data) if line.strip())


def _peeked(fmt: str, items: Iterator[tuple[int, dict]]) -> Table:
    """A JSON table whose headers are the first object's keys (read before the rest)."""
    first = next(items, None)
    headers = list(first[1]) if first else []

    def rows() -> Iterator[tuple[int, dict]]:
        if first is not None:
            yield first
            yield from items

    return Table(fmt, headers, rows())


# --- Sheets -------------------------------------------------------------------------------


def _sheet_table(header: list, body: Iterator[tuple[int, list]], fmt: str,
                 limits: Limits) -> Table:
    """Check the heading row, then yield each non-blank row as {heading: text}."""
    if len(header) > limits.columns:
        raise _too_many_columns(limits)
    headers = [str(h).strip() if h is not None else "" for h in header]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise ImportFileError("The first row must hold the column headings.")
    seen: dict[str, str] = {}
    for heading in filter(None, headers):
        key = normalise_header(heading)
        if key in seen:
            raise ImportFileError(f"The columns {seen[key]!r} and {heading!r} have the same "
                                  "heading; remove or rename one.")
        seen[key] = heading

    def rows() -> Iterator[tuple[int, dict]]:
        count = 0
        for number, values in body:
            if len(values) > limits.columns:
                raise _too_many_columns(limits, f" (row {number})")
            cells = ["" if v is None else str(v).strip() for v in values]
            if not any(cells):
                continue
            count += 1
            if count > limits.rows:
                raise _too_many_rows(limits)
            cells += [""] * (len(headers) - len(cells))
            yield number, {h: c for h, c in zip(headers, cells, strict=False) if h}

    return Table(fmt, [h for h in headers if h], rows())


def _read_csv(data: bytes, limits: Limits) -> Table:
    # Count the records first (cheap, nothing kept), so a long file is refused before any row
    # is parsed into values.
    stream = _text_stream(data)
    try:
        dialect: Any = csv.Sniffer().sniff(stream.read(4096), delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    stream.seek(0)
    reader = csv.reader(stream, dialect)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ImportFileError("The file is empty.") from exc

    def body() -> Iterator[tuple[int, list]]:
        # Asked for once the headers have passed: count the records (cheap, nothing kept) so
        # that a long file is refused before any of its rows is turned into values.
        records = sum(1 for _ in csv.reader(_text_stream(data), dialect)) - 1
        if records > limits.rows and _non_blank_csv_records(data, dialect) > limits.rows:
            raise _too_many_rows(limits)
        yield from enumerate(reader, start=2)

    return _sheet_table(header, body(), "csv", limits)


def _non_blank_csv_records(data: bytes, dialect) -> int:
    reader = csv.reader(_text_stream(data), dialect)
    next(reader, None)
    return sum(1 for record in reader if any(cell.strip() for cell in record))


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # a date cell
        return value.date().isoformat() if not (value.hour or value.minute) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _open_zip(data: bytes, limits: Limits, kind: str) -> zipfile.ZipFile:
    """The archive, refused if its members would expand past the limit.

    zipfile never returns more of a member than its declared size, so the declared sizes bound
    what any reader can take out of the archive.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportFileError(f"The spreadsheet cannot be opened; is it a valid {kind} file?"
                              ) from exc
    if len(members) > limits.zip_members:
        raise ImportFileError(f"The spreadsheet holds {len(members):,} parts; a real {kind} "
                              "file holds far fewer.")
    expanded = sum(m.file_size for m in members)
    if expanded > limits.uncompressed_bytes:
        raise ImportFileError(
            f"The spreadsheet expands to {_mb(expanded)} when opened; the most an import reads "
            f"is {_mb(limits.uncompressed_bytes)}. Save it as CSV, or split it.")
    return archive


class _CountingArchive:
    """A zip archive whose members count what is read from them against one running total."""

    def __init__(self, archive: zipfile.ZipFile, limit: int):
        self._archive, self._limit, self.total = archive, limit, 0

    def __getattr__(self, name):
        return getattr(self._archive, name)

    def open(self, name, mode="r", *args, **kwargs):
        return _CountingStream(self._archive.open(name, mode, *args, **kwargs), self)


class _CountingStream(io.RawIOBase):
    def __init__(self, raw, owner: _CountingArchive):
        self._raw, self._owner = raw, owner

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        self._owner.total += len(chunk)
        if self._owner.total > self._owner._limit:
            raise ImportFileError(
                f"The spreadsheet expands to more than {_mb(self._owner._limit)} when read; "
                "the most an import reads. Save it as CSV, or split it.")
        return chunk

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _read_xlsx(data: bytes, limits: Limits) -> Table:
    import openpyxl

    archive = _open_zip(data, limits, "XLSX")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError("The spreadsheet cannot be opened; is it a valid XLSX file?") from exc
    archive.close()
    # Stream the sheet's XML through a counter, so that reading stops once the running total
    # passes the limit (openpyxl keeps the archive it reads members from in `_archive`).
    if hasattr(workbook, "_archive"):
        workbook._archive = _CountingArchive(workbook._archive, limits.uncompressed_bytes)
    if not workbook.worksheets:
        raise ImportFileError("The spreadsheet has no sheets.")
    sheet = workbook.worksheets[0]
    # The sheet's stated size may be wrong, or absurd (A1:XFD1048576): read what is there.
    sheet.reset_dimensions()  # type: ignore[union-attr]
    header_rows = sheet.iter_rows(min_row=1, max_row=1, max_col=limits.columns + 1,
                                  values_only=True)
    header = list(next(header_rows, None) or [])
    if not any(v is not None for v in header):
        raise ImportFileError("The spreadsheet's first row must hold the column headings.")
    while header and header[-1] is None:
        header.pop()
    if len(header) > limits.columns:
        raise _too_many_columns(limits)
    width = len(header)

    def body() -> Iterator[tuple[int, list]]:
        try:
            for number, values in enumerate(
                    sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=2):
                yield number, [_cell_text(v) for v in values]
        finally:
            workbook.close()

    return _sheet_table(header, body(), "xlsx", limits)


# --- ODS (streamed: odfpy builds the whole document in memory) -----------------------------

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _ods_cell_text(cell) -> str:
    kind = cell.get(f"{{{_OFFICE}}}value-type")
    if kind in ("float", "percentage", "currency"):
        value = cell.get(f"{{{_OFFICE}}}value") or ""
        return re.sub(r"\.0+$", "", value)
    if kind == "date":
        value = cell.get(f"{{{_OFFICE}}}date-value") or ""
        return value[:10] if value.endswith("T00:00:00") or len(value) <= 10 else value
    if kind == "boolean":
        return "TRUE" if cell.get(f"{{{_OFFICE}}}boolean-value") == "true" else "FALSE"
    return "\n".join("".join(p.itertext()) for p in cell.iter(f"{{{_TEXT}}}p")).strip()


@dataclass
class _OdsRow:
    cells: list[str] = field(default_factory=list)
    pending_blanks: int = 0


def _read_ods(data: bytes, limits: Limits) -> Table:
    from defusedxml.ElementTree import iterparse

    archive = _open_zip(data, limits, "ODS")
    counting = _CountingArchive(archive, limits.uncompressed_bytes)
    try:
        source = counting.open("content.xml")
    except KeyError as exc:
        raise ImportFileError("The spreadsheet cannot be opened; is it a valid ODS file?") from exc
    row_tag, cell_tags = f"{{{_TABLE}}}table-row", (f"{{{_TABLE}}}table-cell",
                                                   f"{{{_TABLE}}}covered-table-cell")
    table_tag = f"{{{_TABLE}}}table"
    repeated_cols, repeated_rows = (f"{{{_TABLE}}}number-columns-repeated",
                                    f"{{{_TABLE}}}number-rows-repeated")

    def rows() -> Iterator[tuple[int, list]]:
        """(row number, cells) for the first table; repeated blanks are never expanded."""
        number = 0
        parents: list = []
        try:
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    parents.append(element)
                    continue
                parents.pop()
                if element.tag == table_tag:
                    return  # the first sheet only
                if element.tag != row_tag:
                    continue
                row = _OdsRow()
                for cell in element:
                    if cell.tag not in cell_tags:
                        continue
                    repeat = int(cell.get(repeated_cols) or 1)
                    text = _ods_cell_text(cell)
                    if not text:
                        row.pending_blanks += repeat
                        continue
                    if len(row.cells) + row.pending_blanks + repeat > limits.columns:
                        raise _too_many_columns(limits, f" (row {number + 1})")
                    row.cells += [""] * row.pending_blanks + [text] * repeat
                    row.pending_blanks = 0
                times = int(element.get(repeated_rows) or 1)
                if parents:
                    parents[-1].remove(element)  # keep memory flat
                if not row.cells:
                    number += times
                    continue
                for _ in range(times):
                    number += 1
                    yield number, row.cells
        except ImportFileError:
            raise
        except Exception as exc:  # a damaged or hostile document (defusedxml refuses DTDs)
            raise ImportFileError("The spreadsheet cannot be read; is it a valid ODS file?"
                                  ) from exc
        finally:
            source.close()

    sheet = rows()
    first = next(sheet, None)
    if first is None:
        raise ImportFileError("The spreadsheet's first sheet is empty.")
    if first[0] != 1:
        raise ImportFileError("The spreadsheet's first row must hold the column headings.")
    return _sheet_table(first[1], sheet, "ods", limits)


def match_columns(
    headers: list[str], aliases: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> dict[str, str]:
    """Map each field to the file's header for it, by normalised alias.

    Raise ImportFileError naming every required field that has no column.
    """
    by_normal = {normalise_header(h): h for h in headers}
    found = {}
    for name, names in aliases.items():
        for alias in names:
            if normalise_header(alias) in by_normal:
                found[name] = by_normal[normalise_header(alias)]
                break
    missing = [f for f in required if f not in found]
    if missing:
        wanted = "; ".join(f"{f} (any of: {', '.join(aliases[f])})" for f in missing)
        raise ImportFileError(f"Required columns are missing: {wanted}.")
    return found


# --- Dates --------------------------------------------------------------------------------

# The earliest and latest dates a file may hold: outside them a date is a typing mistake (or
# a placeholder like 0001-01-01 or 9999-12-31), not a fact about a care service.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")


def file_date(text: str) -> dt.date | None:
    """The day a cell gives (2020-06-04, 2020-06-04T09:15:00, 04/06/2020), or None if blank.

    Raise ValueError with a message fit for a row error if the text is not a date, or a date
    outside 1 January 1900 to 31 December 2100.
    """
    text = (text or "").strip()
    if not text:
        return None
    day = None
    iso = _ISO_DATE.match(text)
    if iso:
        try:
            day = dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            day = None
    else:
        for fmt in DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text.split(" ")[0], fmt).date()
                break
            except ValueError:
                continue
    if day is None:
        raise ValueError(f"{text!r} is not a date like 2020-06-04 or 04/06/2020")
    return date_in_range(day, text)


def date_in_range(day: dt.date, text: str = "") -> dt.date:
    """`day`, or ValueError if it is outside the dates a file may hold."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(
            f"{text or day.isoformat()!r} is not a date Caresight accepts (it must be between "
            f"{_words(EARLIEST_DATE)} and {_words(LATEST_DATE)})")
    return day


def _words(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
