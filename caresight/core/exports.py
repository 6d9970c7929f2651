"""Old entry points onto the table layer (`caresight.core.tables`), for files not yet declared
with columns: dict rows with their keys as headers. Every cell still goes through
`tables.safe_cell`. New code uses `tables.Table` and `tables.download_response`."""

import json
from collections.abc import Iterable

from django.http import HttpResponse

from caresight.core import tables
from caresight.core.tables import FORMATS

__all__ = ["FORMATS", "download_response", "render_table"]


def render_table(rows: Iterable[dict], columns: list[str], fmt: str, *, title: str) -> bytes:
    """Render dict rows with the given column order in `fmt` (one of FORMATS)."""
    if fmt == "json":  # as it always was: the rows whole
        return json.dumps(list(rows), indent=1, default=str).encode()
    body, _ = tables.render(tables.from_dicts(rows, columns, title=title), fmt)
    return body


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
    response["Cache-Control"] = "no-store"
    return response
