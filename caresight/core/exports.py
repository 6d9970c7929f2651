"""Tables out: CSV, JSON, XLSX and ODS from the same rows (tablib)."""

import json
from collections.abc import Iterable

import tablib
from django.http import HttpResponse

# what -> function (*, authority_codes, date_from, date_to) -> (rows, columns, title), for
# `caresight export WHAT` (the operator: every authority).
EXPORTS: dict[str, str] = {
    "locations": "caresight.registry.selectors.location_export",
    "returns": "caresight.returns.selectors.return_export",
    "outbreaks": "caresight.outbreaks.selectors.outbreak_export",
    "risk-log": "caresight.risk.selectors.risk_log_export",
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


def download_response(rows: Iterable[dict], columns: list[str], fmt: str, *, title: str,
                      file_stem: str) -> HttpResponse:
    """A table as a file to download; an unknown format is a 400 that says which exist."""
    if fmt not in FORMATS:
        return HttpResponse(f"Unknown download format {fmt!r}; choose one of "
                            f"{', '.join(FORMATS)}.", status=400, content_type="text/plain")
    content_type, extension = FORMATS[fmt]
    response = HttpResponse(render_table(rows, columns, fmt, title=title),
                            content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_stem}.{extension}"'
    return response
