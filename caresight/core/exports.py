"""Tables out: CSV, JSON, XLSX and ODS from the same rows (tablib)."""

import json
from collections.abc import Iterable

import tablib

# what -> function (*, authority_codes, date_from, date_to) -> (rows, columns, title), for
# `caresight export WHAT` (the operator: every authority).
EXPORTS: dict[str, str] = {
    "locations": "caresight.registry.selectors.location_export",
    "returns": "caresight.returns.selectors.return_export",
}

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
}


def render_table(rows: Iterable[dict], columns: list[str], fmt: str, *, title: str) -> bytes:
    """Render dict rows with the given column order in `fmt` (one of FORMATS)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(list(rows), indent=1, default=str).encode()
    dataset = tablib.Dataset(headers=columns, title=title[:31])
    for row in rows:
        dataset.append([_cell(row.get(c)) for c in columns])
    exported = dataset.export(fmt)
    return exported.encode("utf-8") if isinstance(exported, str) else exported


def _cell(value):
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value
