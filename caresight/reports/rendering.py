"""A report's figures drawn as a page, a PDF (WeasyPrint, from the same HTML) and a Word
document (docxtpl on python-docx, from `data/report.docx`, made by
`scripts/make_report_template.py`). Everything is drawn from the figures alone, so a published
report's files are the figures it keeps, and a draft's are the figures just built.

Narrative text is text: escaped in the page and the PDF, plain runs in Word.
"""

import base64
import datetime as dt
import io
from pathlib import Path

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from caresight.core.charts import line_chart_png, line_chart_svg
from caresight.core.tables import Table, thaw
from caresight.core.timeutils import long_date

DOCX_TEMPLATE = Path(__file__).resolve().parent / "data" / "report.docx"


def _chart_args(chart: dict) -> dict:
    return {"dates": [dt.date.fromisoformat(d) for d in chart["dates"]],
            "series": [(label, values) for label, values in chart["series"]],
            "y_label": chart.get("y_label", ""), "percent": bool(chart.get("percent"))}


def _grouped(entries: list[dict]) -> list[dict]:
    """Entries under their service areas, in the order the areas first appear."""
    groups: dict[str, list[dict]] = {}
    for entry in entries:
        groups.setdefault(entry.get("service_area") or "", []).append(entry)
    return [{"service_area": area, "entries": items} for area, items in groups.items()]


def view_model(figures: dict, *, logo: bytes = b"", logo_type: str = "",
               charts: str = "svg") -> dict:
    """The figures, ready for the template: tables thawed, charts drawn, entries grouped."""
    sections = []
    for section in figures["sections"]:
        data = []
        for item in section["data"]:
            stats = item.get("figures") or {}
            tables: list[Table] = [thaw(t, caption_size="s") for t in stats.get("tables", [])]
            drawn = []
            for chart in stats.get("charts", []):
                if charts == "svg":
                    # The SVG is matplotlib's, from numbers only: no user text reaches it.
                    drawn.append({"title": chart.get("title", ""),
                                  "svg": mark_safe(line_chart_svg(**_chart_args(chart)))})  # noqa: S308  # nosec B308 B703
            data.append({**item, "paragraphs": stats.get("paragraphs", []), "tables": tables,
                         "charts": drawn})
        sections.append({**section, "groups": _grouped(section["entries"]), "data": data})
    logo_uri = (f"data:{logo_type};base64,{base64.b64encode(logo).decode()}"
                if logo else "")
    return {"report": figures, "sections": sections, "logo_uri": logo_uri,
            "as_of_text": long_date(dt.date.fromisoformat(figures["as_of"]))}


def report_html(figures: dict, **logo) -> str:
    """The report as one self-contained HTML document (the PDF's source, and the file kept)."""
    return render_to_string("reports/document.html", view_model(figures, **logo))


def _no_fetching(url: str, *args, **kwargs):
    # Reports are self-contained (the logo is a data: URI): nothing may make the server fetch.
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url)
    raise ValueError(f"Reports load no external resources ({url}).")


def report_pdf(figures: dict, **logo) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango

    return HTML(string=report_html(figures, **logo), url_fetcher=_no_fetching).write_pdf()


def report_docx(figures: dict, *, logo: bytes = b"", logo_type: str = "") -> bytes:
    """The report as a Word document an officer can edit: headings, paragraphs, bulleted
    narrative, the tables as Word tables and the charts as pictures."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    document = DocxTemplate(DOCX_TEMPLATE)
    body = document.new_subdoc()
    for section in view_model(figures, charts="none")["sections"]:
        body.add_heading(section["heading"], level=1)
        for group in section["groups"]:
            if group["service_area"]:
                body.add_heading(group["service_area"], level=2)
            for entry in group["entries"]:
                for n, line in enumerate(entry["text"].splitlines() or [""]):
                    body.add_paragraph(line, style="List Bullet" if n == 0 else None)
        if section["narrative"] and not section["entries"] and not section["data"]:
            body.add_paragraph("Nothing to report for this period.")
        for item in section["data"]:
            if item["heading"] != section["heading"]:
                body.add_heading(item["heading"], level=2)
            if item.get("withheld"):
                body.add_paragraph(item["withheld"])
                continue
            for paragraph in item["paragraphs"]:
                body.add_paragraph(paragraph)
            for chart in (item.get("figures") or {}).get("charts", []):
                png = line_chart_png(**_chart_args(chart))
                if chart.get("title"):
                    body.add_paragraph(chart["title"], style="Caption")
                body.add_picture(io.BytesIO(png), width=Mm(160))
            for table in item["tables"]:
                _docx_table(body, table)
    context = {"title": figures["title"], "area": figures["area_name"],
               "period": figures["period"], "author_line": figures["author_line"],
               "service_areas": figures["service_areas"], "kind": figures["kind_label"],
               "as_of": long_date(dt.date.fromisoformat(figures["as_of"])), "body": body,
               "logo": InlineImage(document, io.BytesIO(logo), height=Mm(14)) if logo else ""}
    document.render(context, autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def draw(figures: dict, settings: dict, fmt: str) -> bytes:
    """The report as a file: "pdf", "docx" or "html" (with the settings' logo)."""
    logo = {"logo": settings["logo"], "logo_type": settings["logo_type"]}
    if fmt == "pdf":
        return report_pdf(figures, **logo)
    if fmt == "docx":
        return report_docx(figures, **logo)
    return report_html(figures, **logo).encode()


def _docx_table(body, table: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    columns = table.page_columns
    body.add_paragraph(table.title, style="Caption")
    rows = table.row_list
    footer = table.footer
    grid = body.add_table(rows=1 + max(len(rows), 1) + (1 if footer else 0), cols=len(columns))
    grid.style = "Table Grid"
    for cell, column in zip(grid.rows[0].cells, columns, strict=True):
        cell.text = column.header
        cell.paragraphs[0].runs[0].bold = True
    if not rows:
        merged = grid.rows[1].cells[0].merge(grid.rows[1].cells[-1])
        merged.text = table.empty_message
    for r, row in enumerate(rows, start=1):
        for cell, column in zip(grid.rows[r].cells, columns, strict=True):
            value = column.read(row)
            cell.text = ("\n".join(str(v) for v in value)
                         if column.bullets and isinstance(value, list) else column.text(value))
            if column.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if footer:
        for cell, total in zip(grid.rows[-1].cells, footer, strict=True):
            cell.text = total.text
            if cell.paragraphs[0].runs:
                cell.paragraphs[0].runs[0].bold = True
            if total.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
