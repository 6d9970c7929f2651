"""The table layer: columns declared once drive the page table, every download and `export`.

A `Column` says what a value is called (`key` for machines, `header` for people), how to read it
from a row (a dict key or attribute path, or a callable) and what kind of value it is. A `Table`
is columns and rows. The same table gives:

- the page table, through the one GOV.UK include ``includes/table.html`` (numbers right-aligned,
  money as £1,234.56, dates in words, a totals row added up here with `Decimal`, never in a
  template);
- downloads as CSV, XLSX, ODS or JSON (`render`, `download_response`): human headers and labels,
  JSON with machine keys, ISO dates and money as strings; XLSX and ODS with real date and number
  cells; every spreadsheet text cell passed through `safe_cell`, so a value that starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can never become a live formula;
- `caresight export WHAT` over the tables apps register with `register_export` from their
  `AppConfig.ready()` (core imports no domain app).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst, slugify

from caresight.core.timeutils import long_date


class Kind(StrEnum):
    TEXT = "text"
    WHOLE = "whole"  # a whole number: a count, beds
    NUMBER = "number"  # any other number (a decimal answer), shown as it is
    MONEY = "money"  # pounds and pence, read as Decimal
    DATE = "date"
    DATETIME = "datetime"
    PERCENT = "percent"  # a percentage as a number of per cent: 75.0 is 75.0%


NUMERIC = frozenset({Kind.WHOLE, Kind.NUMBER, Kind.MONEY, Kind.PERCENT})
PENNY = Decimal("0.01")

# --- Formula injection ----------------------------------------------------------------------

# A spreadsheet reads a text cell that starts with one of these as a formula (or, with a tab or
# carriage return, hides what follows); a single quote in front makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, with text that a spreadsheet would run as a formula made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True,
              rows_safe: bool = False) -> bytes:
    """CSV of `header` and `rows`, every text cell through `safe_cell`.

    Numbers (int, Decimal, float) are written as they are, so a negative amount stays a number;
    only text is neutralised. With `bom`, a byte-order mark lets Excel read the file as UTF-8.
    `rows_safe` says the rows' cells went through `safe_cell` already (a Table's flat rows).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    if rows_safe:
        writer.writerows(rows)  # None is written as an empty cell
    else:
        for row in rows:
            writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


# --- Formatting for people ----------------------------------------------------------------------


def money(value: Decimal | int | str) -> Decimal:
    """`value` as pounds and pence."""
    return Decimal(str(value)).quantize(PENNY)


def format_money(value: Decimal | int | str) -> str:
    """£1,234.56 (and -£12.00)."""
    amount = money(value)
    return f"{'-' if amount < 0 else ''}£{abs(amount):,.2f}"


def format_whole(value: int) -> str:
    """1,234."""
    return f"{int(value):,}"


def format_percent(value: float | Decimal, places: int = 1) -> str:
    """75.0% (`places` below 0: at most that many, none when whole, as 75% or 12.5%)."""
    if places < 0:
        return f"{format_number(value, -places)}%"
    return f"{float(value):,.{places}f}%"


def format_number(value: float | Decimal, places: int = 2) -> str:
    """1,234 or 1,234.5: at most `places` decimal places, none when whole."""
    text = f"{Decimal(str(value)):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, str) and value:
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return None


# --- Columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A link on a page table (a cell's further links, a caption's "Change"); `hidden` adds
    words for screen readers only (" of Round 1")."""

    text: str
    url: str
    hidden: str = ""


@dataclass(frozen=True)
class Button:
    """A button in a page table's cell that posts to `action` (with the CSRF token), as a
    GOV.UK secondary button; `hidden` adds words for screen readers only."""

    text: str
    action: str
    hidden: str = ""


@dataclass(frozen=True)
class Column:
    """One column of a table, declared once for the page and every download.

    `value` reads the value from a row: a dict key or attribute path (``"provider.name"``; the
    default is `key`), or a callable of the row. `choices` turns codes into labels (a Django
    choices class or a mapping). `total` is True to add the column up (whole numbers and money),
    or a callable of the rows for a total that is not a sum (an overall rate). `link` (a
    callable of the row) makes the page cell a link; `hint` adds a second line under it and
    `tag` a grey tag after it ("Deregistered"). `tag_colour` (a callable of the value) shows the
    whole page cell as a GOV.UK tag of that colour ("red", "green"; None: plain text).
    `testid` (a callable of the row) gives the page cell (its link, when it has one) a
    ``data-testid``. `tag_tone` is the colour of the `tag` ("red" for "Overdue"). `links` (a
    callable of the row giving `Link`s) adds links after the text, each on a line of its own
    (with `links_inline`, separated by " · "); `button` (a callable of the row giving a
    `Button` or None) adds a button that posts a form; `span` (a callable of the row) lets the
    page cell span that many columns, the next ones left out of that row. With
    `bullets`, a list value is a list on the page (one item each) and "; "-joined in files. A
    column with `page=False` is only in downloads, with `download=False` only on the page.
    """

    key: str
    header: str
    value: str | Callable[[Any], Any] | None = None
    kind: Kind = Kind.TEXT
    choices: Any = None
    total: bool | Callable[[list], Any] = False
    link: Callable[[Any], str | None] | None = None
    hint: Callable[[Any], str | None] | None = None
    tag: Callable[[Any], str | None] | None = None  # a grey GOV.UK tag after the page text
    # Words for screen readers only after the page text (" of Fen View", for a "History" link)
    hidden: Callable[[Any], str] | None = None
    header_hidden: bool = False  # the header is for screen readers only
    tag_colour: Callable[[Any], str | None] | None = None  # the cell as a tag of this colour
    bullets: bool = False  # a list value as a list on the page
    testid: Callable[[Any], str | None] | None = None  # the page cell's data-testid
    tag_tone: str = "grey"  # the colour of `tag`
    links: Callable[[Any], Sequence[Link]] | None = None  # further links after the text
    links_inline: bool = False  # the links on one line, separated by " · "
    button: Callable[[Any], Button | None] | None = None  # a button that posts a form
    span: Callable[[Any], int] | None = None  # the page cell spans this many columns
    empty: str = "–"  # on the page, for a missing value
    places: int = 1  # decimal places of a percentage
    page: bool = True
    download: bool = True
    row_header: bool = False  # the page cell is the row's header (<th scope="row">)

    def read(self, row: Any) -> Any:
        """The raw value of this column in `row`."""
        if callable(self.value):
            return self.value(row)
        path = self._path
        if type(row) is dict and len(path) == 1:  # a plain row (values()): most big tables
            return row.get(path[0])
        value = row
        for part in path:
            if value is None:
                return None
            if isinstance(value, Mapping):
                value = value.get(part)
            else:
                value = getattr(value, part, None)
                if callable(value) and not isinstance(value, type):
                    value = value()
        return value

    @cached_property
    def _path(self) -> list[str]:
        return (self.value if isinstance(self.value, str) else self.key).split(".")

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    def label(self, value: Any) -> Any:
        """A code as its label (unchanged when it has none)."""
        if self.choices is None or value is None or value == "":
            return value
        labels = self._labels()
        if isinstance(value, list | tuple):
            return [labels.get(v, v) for v in value]
        return labels.get(value, value)

    def _labels(self) -> Mapping:
        choices = self.choices
        if isinstance(choices, Mapping):
            return choices
        return dict(getattr(choices, "choices", choices))

    def typed(self, value: Any) -> Any:
        """The value as its kind's Python type (Decimal money, date, int), or None."""
        if value is None or value == "":
            return None
        try:
            if self.kind is Kind.MONEY:
                return money(value)
            if self.kind is Kind.WHOLE:
                return int(value)
            if self.kind in (Kind.PERCENT, Kind.NUMBER) and not isinstance(value, bool):
                return value if isinstance(value, int | float | Decimal) else Decimal(value)
            if self.kind is Kind.DATE:
                return _as_date(value)
            if self.kind is Kind.DATETIME:
                return _as_datetime(value)
        except (ValueError, TypeError, InvalidOperation):
            return value  # shown as it is rather than lost
        value = self.label(value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return value

    def text(self, value: Any) -> str:
        """The value as people read it on a page ("£1,234.56", "2 December 2026")."""
        value = self.typed(value)
        if value is None:
            return self.empty
        if isinstance(value, str):
            return value
        if self.kind is Kind.MONEY and isinstance(value, Decimal):
            return format_money(value)
        if self.kind is Kind.WHOLE and isinstance(value, int):
            return format_whole(value)
        if self.kind is Kind.PERCENT and isinstance(value, int | float | Decimal):
            return format_percent(value, self.places)
        if self.kind is Kind.NUMBER and isinstance(value, int | float | Decimal):
            return f"{value:,}"
        if self.kind is Kind.DATETIME and isinstance(value, dt.datetime):
            return f"{long_date(value.date())} {value:%H:%M}"
        if self.kind is Kind.DATE and isinstance(value, dt.date):
            return long_date(value)
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return str(value)

    def flat(self, value: Any) -> Any:
        """The value for a spreadsheet or CSV cell: a typed value, or text made safe."""
        if type(value) is str and self.kind is Kind.TEXT and self.choices is None:
            # Most cells of a big download: what `typed` and `safe_cell` would make of them.
            if not value:
                return None
            return "'" + value if value.startswith(FORMULA_STARTS) else value
        if type(value) is dt.date and self.kind is Kind.DATE:
            return value
        value = self.typed(value)
        if isinstance(value, list | tuple):
            value = "; ".join(str(v) for v in value)
        return safe_cell(value)

    def json(self, value: Any) -> Any:
        """The value for JSON: ISO dates, money as a string ("1234.56"), labels, true/false."""
        if isinstance(value, bool):
            return value
        value = self.typed(value)
        if isinstance(value, Decimal):
            return str(value) if self.kind is Kind.MONEY else float(value)
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        if isinstance(value, tuple):
            return list(value)
        return value


# --- Tables ----------------------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    numeric: bool = False
    link: str | None = None
    hint: str | None = None
    row_header: bool = False
    tag: str | None = None
    hidden: str | None = None
    tag_colour: str | None = None  # the cell shown as a GOV.UK tag of this colour
    items: list[str] | None = None  # a list on the page
    testid: str | None = None  # data-testid (on the link, when the cell has one)
    tag_tone: str = "grey"
    links: list[Link] | None = None
    links_inline: bool = False
    button: Button | None = None
    colspan: int = 1

    def html(self, csrf_input: str = "") -> str:
        """The cell as GOV.UK table HTML, escaped: one cell of a page table's body.

        Written out here rather than in the template: a register page has thousands of cells,
        and one Python function for each is cheaper than the template's tags and filters.
        `csrf_input` is the hidden CSRF field, for a cell with a button.
        """
        e = conditional_escape
        tag = "th" if self.row_header else "td"
        parts = ['<th scope="row" class="govuk-table__header' if self.row_header
                 else '<td class="govuk-table__cell']
        if self.numeric:
            parts.append(" govuk-table__header--numeric" if self.row_header
                         else " govuk-table__cell--numeric")
        parts.append('"')
        if self.testid and not self.link:
            parts.append(f' data-testid="{e(self.testid)}"')
        if self.colspan > 1:
            parts.append(f' colspan="{self.colspan}"')
        parts.append(">")
        hidden = (f'<span class="govuk-visually-hidden">{e(self.hidden)}</span>'
                  if self.hidden else "")
        if self.items:
            parts.append('<ul class="govuk-list govuk-body-s govuk-!-margin-bottom-0">')
            parts.extend(f"<li>{e(item)}</li>" for item in self.items)
            parts.append("</ul>")
        elif self.tag_colour:
            parts.append(f'<strong class="govuk-tag govuk-tag--{e(self.tag_colour)}">'
                         f"{e(self.text)}</strong>")
        elif self.link:
            testid = f' data-testid="{e(self.testid)}"' if self.testid else ""
            parts.append(f'<a class="govuk-link" href="{e(self.link)}"{testid}>'
                         f"{e(self.text)}{hidden}</a>")
        else:
            parts.append(f"{e(self.text)}{hidden}")
        if self.tag:
            parts.append(f' <strong class="govuk-tag govuk-tag--{e(self.tag_tone)}">'
                         f"{e(self.tag)}</strong>")
        for n, link in enumerate(self.links or ()):
            if self.text or n:
                parts.append(" · " if self.links_inline else "<br>")
            link_hidden = (f'<span class="govuk-visually-hidden">{e(link.hidden)}</span>'
                           if link.hidden else "")
            parts.append(f'<a class="govuk-link" href="{e(link.url)}">{e(link.text)}'
                         f"{link_hidden}</a>")
        if self.button:
            button = self.button
            button_hidden = (f'<span class="govuk-visually-hidden">{e(button.hidden)}</span>'
                             if button.hidden else "")
            parts.append(f'<form method="post" action="{e(button.action)}">{csrf_input}'
                         '<button class="govuk-button govuk-button--secondary '
                         'govuk-!-margin-bottom-0" data-module="govuk-button">'
                         f"{e(button.text)}{button_hidden}</button></form>")
        if self.hint:
            parts.append(f' <br><span class="govuk-body-s">{e(self.hint)}</span>')
        parts.append(f"</{tag}>")
        return "".join(parts)


@dataclass
class Table:
    """Columns and rows, for a page table and every download of it.

    `rows` may be a generator for a download (it is read once); a page table reads it into a
    list. `caption` is the page table's caption (the title when not given); `caption_size` is
    GOV.UK's s / m / l, and `caption_hidden` keeps it for screen readers only.
    """

    columns: Sequence[Column]
    rows: Iterable[Any]
    title: str
    caption: str | None = None
    caption_size: str = "m"
    caption_hidden: bool = False
    totals_label: str = "Total"
    empty_message: str = "Nothing to show."
    testid: str = ""
    totals_testid: str = ""  # the totals row's data-testid
    key: str = ""  # the table's key in a JSON book (default: from the title)
    csv_bom: bool = True  # a byte-order mark, so that Excel reads the CSV as UTF-8
    # Files read by machines (published open data, the finance system's payments file) keep
    # their documented keys as headers; every other file has the people's headers.
    key_headers: bool = False
    caption_link: Link | None = None  # a link after the caption ("Change")
    download_totals: bool = False  # the totals row ends the files too (after the rows)
    _list: list | None = field(default=None, init=False, repr=False)

    # Page

    def __post_init__(self) -> None:
        if not self.key:
            self.key = "_".join(self.title.lower().replace("-", " ").split())

    @property
    def page_columns(self) -> list[Column]:
        return [c for c in self.columns if c.page]

    @property
    def download_columns(self) -> list[Column]:
        return [c for c in self.columns if c.download]

    @property
    def row_list(self) -> list:
        if self._list is None:
            self._list = list(self.rows)
            self.rows = self._list
        return self._list

    @property
    def shown_caption(self) -> str:
        return self.title if self.caption is None else self.caption

    @property
    def header_cells(self) -> list[Cell]:
        return [Cell(text=c.header, numeric=c.numeric, hidden=c.header if c.header_hidden else None)
                for c in self.page_columns]

    @property
    def body(self) -> Iterator[list[Cell]]:
        for row in self.row_list:
            cells: list[Cell] = []
            skip = 0
            for column in self.page_columns:
                if skip:
                    skip -= 1
                    continue
                cell = self._cell(column, row)
                skip = cell.colspan - 1
                cells.append(cell)
            yield cells

    def body_html(self, csrf_input: str = "") -> SafeString:
        """The page table's body rows as HTML (see `Cell.html`), or its empty message."""
        rows = [f'<tr class="govuk-table__row">{"".join(c.html(csrf_input) for c in cells)}</tr>'
                for cells in self.body]
        if not rows:
            rows = [f'<tr class="govuk-table__row"><td class="govuk-table__cell" '
                    f'colspan="{self.width}">{conditional_escape(self.empty_message)}</td></tr>']
        # Every value above is escaped (conditional_escape); only the cell markup is trusted.
        return mark_safe("\n    ".join(rows))  # noqa: S308  # nosec B308 B703

    @staticmethod
    def _cell(column: Column, row: Any) -> Cell:
        value = column.read(row)
        items = None
        if column.bullets and isinstance(value, list | tuple):
            items = [str(v) for v in column.label(list(value))]
        return Cell(text=column.text(value), numeric=column.numeric,
                    link=column.link(row) if column.link else None,
                    hint=column.hint(row) if column.hint else None,
                    row_header=column.row_header,
                    tag=column.tag(row) if column.tag else None,
                    hidden=column.hidden(row) if column.hidden else None,
                    tag_colour=column.tag_colour(value) if column.tag_colour else None,
                    items=items, testid=column.testid(row) if column.testid else None,
                    tag_tone=column.tag_tone,
                    links=list(column.links(row)) if column.links else None,
                    links_inline=column.links_inline,
                    button=column.button(row) if column.button else None,
                    colspan=max(1, column.span(row)) if column.span else 1)

    def totals(self) -> dict[str, Any]:
        """Each totalled column's total: sums in Decimal (money) or int, or its own function."""
        rows = self.row_list
        totals: dict[str, Any] = {}
        for column in self.columns:
            if callable(column.total):
                totals[column.key] = column.total(rows)
            elif column.total:
                values = [column.typed(column.read(row)) for row in rows]
                numbers = [v for v in values if isinstance(v, int | Decimal)]
                start = Decimal("0.00") if column.kind is Kind.MONEY else 0
                totals[column.key] = sum(numbers, start)
        return totals

    @property
    def footer(self) -> list[Cell] | None:
        """The totals row, when any column has a total and there are rows to add up."""
        if not any(c.total for c in self.page_columns) or not self.row_list:
            return None
        totals = self.totals()
        cells = []
        for n, column in enumerate(self.page_columns):
            if column.key in totals:
                cells.append(Cell(text=column.text(totals[column.key]),
                                  numeric=column.numeric))
            else:
                cells.append(Cell(text=self.totals_label if n == 0 else "",
                                  row_header=n == 0))
        return cells

    @property
    def width(self) -> int:
        return len(self.page_columns)

    # Downloads

    def headers(self) -> list[str]:
        return [c.key if self.key_headers else c.header for c in self.download_columns]

    def _download_rows(self) -> Iterator[tuple[Any, bool]]:
        """The rows for a file, and the totals row after them when asked for."""
        rows = self.row_list if self.download_totals else self.rows
        for row in rows:
            yield row, False
        if self.download_totals and rows:
            totals = self.totals()
            first = self.download_columns[0].key if self.download_columns else None
            yield {**{k: None for k in (c.key for c in self.download_columns)},
                   **({first: self.totals_label} if first else {}), **totals}, True

    def flat_rows(self) -> Iterator[list[Any]]:
        columns = self.download_columns
        for row, is_total in self._download_rows():
            read = (lambda c, r: r.get(c.key)) if is_total else (lambda c, r: c.read(r))
            yield [c.flat(read(c, row)) for c in columns]

    def json_rows(self) -> Iterator[dict[str, Any]]:
        columns = self.download_columns
        for row, is_total in self._download_rows():
            read = (lambda c, r: r.get(c.key)) if is_total else (lambda c, r: c.read(r))
            yield {c.key: c.json(read(c, row)) for c in columns}


# --- Frozen tables (a report's figures) -------------------------------------------------------


def freeze(table: Table, *, download: bool = False) -> dict[str, Any]:
    """The table as plain JSON figures: its title, each column's header and kind, each row's
    values (typed as in JSON: money as "1234.56", ISO dates, labels not codes) and its totals.
    A published report keeps these, so it is shown again exactly as built (`thaw`) and compared
    number by number with a fresh build. The page's columns by default; `download` takes the
    file's (a seed's shape, such as the risk register's)."""
    columns = table.download_columns if download else table.page_columns
    rows = table.row_list
    frozen: dict[str, Any] = {
        "title": table.title, "empty": table.empty_message,
        "columns": [{"header": c.header, "kind": str(c.kind), "bullets": c.bullets}
                    for c in columns],
        "rows": [[c.json(c.read(row)) for c in columns] for row in rows]}
    if any(c.total for c in columns) and rows:
        totals = table.totals()
        frozen["totals"] = [c.json(totals[c.key]) if c.key in totals else None
                            for c in columns]
    return frozen


def _frozen_value(index: int) -> Callable[[Sequence], Any]:
    return lambda row: row[index]


def _frozen_total(total: Any) -> Callable[[list], Any]:
    return lambda rows: total


def thaw(frozen: Mapping[str, Any], **options: Any) -> Table:
    """A frozen table (`freeze`) as a `Table` again, for a page, a PDF or a download."""
    columns = [Column(f"c{n}", spec["header"], value=_frozen_value(n), kind=Kind(spec["kind"]),
                      bullets=spec.get("bullets", False),
                      total=_frozen_total(frozen["totals"][n])
                      if frozen.get("totals") and frozen["totals"][n] is not None else False)
               for n, spec in enumerate(frozen["columns"])]
    return Table(columns=columns, rows=frozen["rows"], title=frozen["title"],
                 empty_message=frozen.get("empty") or "Nothing to show.", **options)


# --- Files ------------------------------------------------------------------------------------

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
}
FORMAT_LABELS = {"csv": "CSV", "json": "JSON", "xlsx": "Excel (XLSX)",
                 "ods": "OpenDocument (ODS)"}
XLSX_FORMATS = {Kind.MONEY: "£#,##0.00", Kind.WHOLE: "#,##0", Kind.NUMBER: "General",
                Kind.PERCENT: "0.0%",
                Kind.DATE: "d mmmm yyyy", Kind.DATETIME: "d mmmm yyyy hh:mm"}


class _Counted:
    """Count the rows an iterator gives."""

    def __init__(self, rows: Iterable):
        self.rows = iter(rows)
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self):
        row = next(self.rows)
        self.count += 1
        return row


def render(table: Table, fmt: str) -> tuple[bytes, int]:
    """The table as a file in `fmt` (one of FORMATS), and how many rows it holds."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        rows = _Counted(table.json_rows())
        body = ("[" + ",\n".join(json.dumps(r, ensure_ascii=False, default=str) for r in rows)
                + "]\n").encode()
        return body, rows.count
    flat = _Counted(table.flat_rows())
    if fmt == "csv":
        return csv_bytes(table.headers(), flat, bom=table.csv_bom, rows_safe=True), flat.count
    if fmt == "xlsx":
        return _xlsx([(table, flat)]), flat.count
    return _ods([(table, flat)]), flat.count


@dataclass
class Book:
    """Several tables in one file (a summary's sections): a sheet each in XLSX and ODS, one
    key each in JSON (the table's `key`)."""

    title: str
    tables: Sequence[Table]


BOOK_FORMATS = ("xlsx", "ods", "json")


def render_book(book: Book, fmt: str) -> tuple[bytes, int]:
    """The book as a file in `fmt` (one of BOOK_FORMATS), and how many rows it holds."""
    if fmt not in BOOK_FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; choose one of {', '.join(BOOK_FORMATS)}")
    counted = [(t, _Counted(t.json_rows() if fmt == "json" else t.flat_rows()))
               for t in book.tables]
    if fmt == "json":
        data = {"title": book.title, **{t.key: list(rows) for t, rows in counted}}
        body = json.dumps(data, ensure_ascii=False, indent=1, default=str).encode()
    elif fmt == "xlsx":
        body = _xlsx(counted)
    else:
        body = _ods(counted)
    return body, sum(rows.count for _, rows in counted)


def _sheet_title(title: str) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    return title[:31] or "Sheet"


def _xlsx(sheets: Sequence[tuple[Table, Iterable[list]]]) -> bytes:
    """The sheets as an XLSX workbook, written as its XML parts directly.

    openpyxl (even write-only) makes an object per cell: 80% of the time of a download of
    thousands of rows. A sheet here is strings joined, with inline strings (no shared-string
    table to hold), real numbers and dates in the styles of XLSX_FORMATS, a bold frozen header
    row, column widths and an autofilter. openpyxl reads the files back in the tests.
    """
    titles: set[str] = set()
    parts = [(_unique(_sheet_title(table.title), titles), _xlsx_sheet(table, rows))
             for table, rows in sheets]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _XLSX_CONTENT_TYPES.format(sheets="".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in range(1, len(parts) + 1))))
        book.writestr("_rels/.rels", _XLSX_ROOT_RELS)
        book.writestr("xl/workbook.xml", _XLSX_WORKBOOK.format(sheets="".join(
            f'<sheet name="{html.escape(title)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, (title, _) in enumerate(parts, start=1)), names="".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
            f"'{html.escape(title.replace(chr(39), chr(39) * 2), quote=False)}'!{ref}</definedName>"
            for n, (title, (_, ref)) in enumerate(parts))))
        book.writestr("xl/_rels/workbook.xml.rels", _XLSX_WORKBOOK_RELS.format(sheets="".join(
            f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/'
            f'sheet{n}.xml"/>' for n in range(1, len(parts) + 1)), styles=len(parts) + 1))
        book.writestr("xl/styles.xml", _XLSX_STYLES)
        for n, (_, (xml, _)) in enumerate(parts, start=1):
            book.writestr(f"xl/worksheets/sheet{n}.xml", xml)
    return out.getvalue()


def _unique(title: str, taken: set[str]) -> str:
    n, base = 1, title
    while title in taken:
        n += 1
        title = f"{base[:27]} ({n})"
    taken.add(title)
    return title


# Cell styles (xl/styles.xml's cellXfs): 0 plain, 1 the bold header, then one per number format.
_XLSX_STYLE_OF = {kind: n for n, kind in enumerate(XLSX_FORMATS, start=2)}
_XLSX_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    f'<numFmts count="{len(XLSX_FORMATS)}">'
    + "".join(f'<numFmt numFmtId="{164 + n}" formatCode="{html.escape(code)}"/>'
              for n, code in enumerate(XLSX_FORMATS.values()))
    + '</numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    f'</cellStyleXfs><cellXfs count="{2 + len(XLSX_FORMATS)}">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    + "".join(f'<xf numFmtId="{164 + n}" fontId="0" fillId="0" borderId="0" xfId="0" '
              'applyNumberFormat="1"/>' for n in range(len(XLSX_FORMATS)))
    + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')
_XLSX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '{sheets}</Types>')
_XLSX_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_XLSX_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets>{sheets}</sheets><definedNames>{names}</definedNames></workbook>')
_XLSX_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '{sheets}<Relationship Id="rId{styles}" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
# Characters XML 1.0 cannot hold (control characters other than tab, newline and return).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _xlsx_text(text: str) -> str:
    return html.escape(_XML_ILLEGAL.sub("", text), quote=False)


def _xlsx_cell(column: Column, value: Any) -> str:
    """One cell's XML (an empty cell for None). Cells carry no reference: a row's cells are
    in column order, which the format allows, and that is a tenth of the sheet's size."""
    if value is None or value == "":
        return "<c/>"
    if type(value) is str:
        return f'<c t="inlineStr"><is><t xml:space="preserve">{_xlsx_text(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    kind = column.kind
    if isinstance(value, dt.datetime):
        value = (value.replace(tzinfo=None) - _EXCEL_EPOCH) / dt.timedelta(days=1)
    elif isinstance(value, dt.date):
        value = (value - _EXCEL_EPOCH.date()).days
    elif kind is Kind.PERCENT and isinstance(value, int | float | Decimal):
        value = float(value) / 100
    if not isinstance(value, int | float | Decimal):
        return (f'<c t="inlineStr"><is><t xml:space="preserve">{_xlsx_text(str(value))}'
                "</t></is></c>")
    style = _XLSX_STYLE_OF.get(kind)
    number = format(value, "f") if isinstance(value, Decimal) else repr(value)
    return f'<c s="{style}"><v>{number}</v></c>' if style else f"<c><v>{number}</v></c>"


def _xlsx_sheet(table: Table, rows: Iterable[list]) -> tuple[str, str]:
    """A worksheet's XML and its autofilter's range."""
    columns = table.download_columns
    letters = [_column_letter(n) for n in range(1, (len(columns) or 1) + 1)]
    widths = "".join(
        f'<col min="{n}" max="{n}" width="{min(max(len(c.header) + 2, 14 if c.kind in (Kind.DATE, Kind.MONEY) else 8), 50)}" customWidth="1"/>'  # noqa: E501
        for n, c in enumerate(columns, start=1))
    header = "".join(f'<c r="{letter}1" t="inlineStr" s="1"><is><t xml:space="preserve">'
                     f"{_xlsx_text(str(safe_cell(text)))}</t></is></c>"
                     for letter, text in zip(letters, table.headers(), strict=False))
    body = [f'<row r="1">{header}</row>']
    number = 1
    for row in rows:
        number += 1
        body.append(f'<row r="{number}">' + "".join(
            _xlsx_cell(column, value) for column, value in zip(columns, row, strict=True))
            + "</row>")
    ref = f"A1:{letters[-1]}{number}"
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
           '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
           'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
           'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
           f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{widths}</cols>" if widths else ""}'
           f'<sheetData>{"".join(body)}</sheetData><autoFilter ref="{ref}"/></worksheet>')
    return xml, ref


def _ods(sheets: Sequence[tuple[Table, Iterable[list]]]) -> bytes:
    from odf import number, style
    from odf import table as odf_table
    from odf import text as odf_text
    from odf.opendocument import OpenDocumentSpreadsheet

    doc = OpenDocumentSpreadsheet()
    money_style = number.CurrencyStyle(name="cs-money")
    money_style.addElement(number.CurrencySymbol(language="en", country="GB", text="£"))
    money_style.addElement(number.Number(decimalplaces="2", minintegerdigits="1",
                                         grouping="true"))
    whole_style = number.NumberStyle(name="cs-whole")
    whole_style.addElement(number.Number(decimalplaces="0", minintegerdigits="1",
                                         grouping="true"))
    percent_style = number.PercentageStyle(name="cs-percent")
    percent_style.addElement(number.Number(decimalplaces="1", minintegerdigits="1"))
    percent_style.addElement(number.Text(text="%"))
    date_style = number.DateStyle(name="cs-date")
    for part in (number.Day(), number.Text(text=" "), number.Month(textual="true", style="long"),
                 number.Text(text=" "), number.Year(style="long")):
        date_style.addElement(part)
    cell_styles = {}
    for data_style in (money_style, whole_style, percent_style, date_style):
        doc.styles.addElement(data_style)
    for kind, data_style in ((Kind.MONEY, money_style), (Kind.WHOLE, whole_style),
                             (Kind.PERCENT, percent_style), (Kind.DATE, date_style)):
        cell_style = style.Style(name=f"cs-cell-{kind}", family="table-cell",
                                 datastylename=data_style.getAttribute("name"))
        doc.automaticstyles.addElement(cell_style)
        cell_styles[kind] = cell_style
    bold = style.Style(name="cs-bold", family="table-cell")
    bold.addElement(style.TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)

    titles: set[str] = set()
    names: list[str] = []
    ranges = odf_table.DatabaseRanges()
    for index, (table, rows) in enumerate(sheets):
        name = _unique(_sheet_title(table.title), titles)
        names.append(name)
        sheet = odf_table.Table(name=name)
        doc.spreadsheet.addElement(sheet)
        header = odf_table.TableRow()
        for text in table.headers():
            cell = odf_table.TableCell(valuetype="string", stylename=bold)
            cell.addElement(odf_text.P(text=safe_cell(text)))
            header.addElement(cell)
        sheet.addElement(header)
        columns = table.download_columns
        count = 0
        for row in rows:
            count += 1
            line = odf_table.TableRow()
            for column, value in zip(columns, row, strict=True):
                line.addElement(_ods_cell(column, value, cell_styles))
            sheet.addElement(line)
        # An autofilter over the header and rows, as LibreOffice saves one (a sheet's own
        # unnamed database range with filter buttons)
        quoted = "'" + name.replace("'", "''") + "'"
        last = _column_letter(max(len(columns), 1))
        ranges.addElement(odf_table.DatabaseRange(
            name=f"__Anonymous_Sheet_DB__{index}", displayfilterbuttons="true",
            targetrangeaddress=f"{quoted}.A1:{quoted}.{last}{count + 1}"))
    doc.spreadsheet.addElement(ranges)
    _ods_freeze_header(doc, names)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _ods_freeze_header(doc, names: Sequence[str]) -> None:
    """Freeze each sheet's first row, in settings.xml as LibreOffice writes it."""
    from odf import config

    def item(name: str, kind: str, value: Any):
        element = config.ConfigItem(name=name, type=kind)
        element.addText(str(value))
        return element

    sheets = config.ConfigItemMapNamed(name="Tables")
    for name in names:
        entry = config.ConfigItemMapEntry(name=name)
        for key, kind, value in (("HorizontalSplitMode", "short", 0),
                                 ("VerticalSplitMode", "short", 2),
                                 ("HorizontalSplitPosition", "int", 0),
                                 ("VerticalSplitPosition", "int", 1),
                                 ("ActiveSplitRange", "short", 2),
                                 ("PositionLeft", "int", 0), ("PositionRight", "int", 0),
                                 ("PositionTop", "int", 0), ("PositionBottom", "int", 1)):
            entry.addElement(item(key, kind, value))
        sheets.addElement(entry)
    view = config.ConfigItemMapEntry()
    view.addElement(item("ViewId", "string", "view1"))
    view.addElement(sheets)
    if names:
        view.addElement(item("ActiveTable", "string", names[0]))
    views = config.ConfigItemMapIndexed(name="Views")
    views.addElement(view)
    view_settings = config.ConfigItemSet(name="ooo:view-settings")
    view_settings.addElement(views)
    doc.settings.addElement(view_settings)


def _ods_cell(column: Column, value: Any, styles: dict):
    from odf import table as odf_table
    from odf import text as odf_text

    kind = column.kind
    if value is None:
        return odf_table.TableCell()
    if kind is Kind.MONEY and isinstance(value, Decimal):
        cell = odf_table.TableCell(valuetype="currency", currency="GBP", value=str(value),
                                   stylename=styles[kind])
        shown = format_money(value)
    elif kind is Kind.PERCENT and isinstance(value, int | float | Decimal):
        cell = odf_table.TableCell(valuetype="percentage", value=str(float(value) / 100),
                                   stylename=styles[kind])
        shown = format_percent(value, column.places)
    elif kind is Kind.WHOLE and isinstance(value, int):
        cell = odf_table.TableCell(valuetype="float", value=str(value), stylename=styles[kind])
        shown = str(value)
    elif kind is Kind.DATE and isinstance(value, dt.date):
        cell = odf_table.TableCell(valuetype="date", datevalue=value.isoformat(),
                                   stylename=styles[kind])
        shown = long_date(value)
    elif kind is Kind.DATETIME and isinstance(value, dt.datetime):
        cell = odf_table.TableCell(valuetype="date",
                                   datevalue=value.replace(tzinfo=None).isoformat(
                                       timespec="seconds"))
        shown = f"{long_date(value.date())} {value:%H:%M}"
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        cell = odf_table.TableCell(valuetype="float", value=str(value))
        shown = str(value)
    else:
        cell = odf_table.TableCell(valuetype="string")
        shown = str(safe_cell(value))
    cell.addElement(odf_text.P(text=shown))
    return cell


def download_response(request, table: Table | Book, fmt: str, *, file_stem: str,
                      log: bool = True) -> HttpResponse:
    """The table (or book of tables) as a file to download, never cached, and logged: who,
    what, the filters (the query string) and how many rows.

    An unknown format is a 400 that says which exist. `log=False` only for files that hold no
    record-level data (published open data).
    """
    formats = BOOK_FORMATS if isinstance(table, Book) else tuple(FORMATS)
    if fmt not in formats:
        return HttpResponse(f"Unknown download format {fmt!r}; choose one of "
                            f"{', '.join(formats)}.", status=400, content_type="text/plain")
    content_type, extension = FORMATS[fmt]
    body, rows = render_book(table, fmt) if isinstance(table, Book) else render(table, fmt)
    if log:
        from caresight.core.services import download_record

        user = getattr(request, "user", None)
        query = request.GET.copy()
        query.pop("download", None)
        download_record(user=user if user is not None and user.is_authenticated else None,
                        what=table.title, path=request.path, filters=query.urlencode(),
                        file_format=fmt, rows=rows)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_stem}.{extension}"'
    response["Cache-Control"] = "no-store"
    return response


def download_links(request, formats: Iterable[str] = FORMATS) -> list[dict[str, str]]:
    """Links to download the page's table in each format, keeping its filters."""
    query = request.GET.copy()
    query.pop("page", None)
    links = []
    for fmt in formats:
        query["download"] = fmt
        links.append({"format": fmt, "label": FORMAT_LABELS[fmt], "short": fmt.upper(),
                      "url": "?" + query.urlencode()})
    return links


# --- `caresight export WHAT` ------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """A table `caresight export` can write: `build(authority_codes=, date_from=, date_to=)`
    returns the Table (every record in those authorities: the operator's export)."""

    name: str
    help: str
    build: Callable[..., Table]


EXPORTS: dict[str, Export] = {}


def register_export(name: str, *, help: str, build: Callable[..., Table]) -> None:
    """Offer a table to `caresight export NAME` (call from an app's `AppConfig.ready()`)."""
    EXPORTS[name] = Export(name=name, help=help, build=build)


def from_dicts(rows: Iterable[Mapping], keys: Sequence[str], *, title: str) -> Table:
    """A table of dict rows whose headers are their keys, for files not yet declared with
    columns; every cell is still made safe."""
    return Table(columns=[Column(key, key) for key in keys], rows=rows, title=title,
                 csv_bom=False)


# --- Core's own page tables -------------------------------------------------------------------


def import_errors_table(result: Mapping) -> Table:
    """An import job's problems, row by row (the first ones kept, when there are more)."""
    errors = list(result.get("errors") or [])
    count = result.get("error_count") or len(errors)
    more = f" (first {len(errors)} of {count})" if count > len(errors) else ""
    return Table(columns=[
        Column("row", "Row", kind=Kind.WHOLE),
        Column("field", "Field"),
        Column("message", "Problem"),
    ], rows=errors, title=f"Problems, row by row{more}", testid="import-errors")


def import_outcomes_table(result: Mapping, *, previewed: bool) -> Table:
    """What an import will change (a preview) or changed, outcome by outcome."""
    return Table(columns=[
        Column("label", "Change", value=lambda o: capfirst(o["label"]), row_header=True),
        Column("count", "Count", kind=Kind.WHOLE,
               testid=lambda o: f"count-{slugify(o['label'])}"),
    ], rows=list(result.get("outcomes") or []),
        title="What will change" if previewed else "What changed")


def history_changes_table(changes: list[dict]) -> Table:
    """One entry of a record's history (core.audit.history_entries): each field's before and
    after, in words."""
    return Table(columns=[
        Column("field", "Field", row_header=True),
        Column("old", "Before"),
        Column("new", "After"),
    ], rows=changes, title="Changes", caption_size="s", caption_hidden=True)
