"""Make the Word template for generated reports: caresight/reports/data/report.docx.

A plain Word document with docxtpl (Jinja) tags, filled in by
`caresight.reports.rendering.report_docx`: the logo, title and the report's details at the
top, then `{{p body }}`, the sections written with python-docx (headings, bullets, tables and
charts). Officers may restyle the file in Word as long as the tags stay intact; to start again:

    .venv/bin/python scripts/make_report_template.py

and commit the regenerated caresight/reports/data/report.docx.
"""

from pathlib import Path

from docx_page import a4_document

OUT = Path(__file__).resolve().parent.parent / "caresight" / "reports" / "data" / "report.docx"


def main() -> None:
    document = a4_document({"Title": 18, "Heading 1": 13, "Heading 2": 11, "Caption": 9})

    document.add_paragraph("{%p if logo %}")
    document.add_paragraph("{{ logo }}")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{{ title }}", style="Title")
    details = document.add_table(rows=0, cols=2)
    details.style = "Table Grid"
    for label, tag in (("Service areas", "service_areas"), ("Report author", "author_line"),
                       ("Reporting period", "period"), ("Local authority", "area")):
        if tag in ("service_areas", "author_line"):
            row = details.add_row()
            row.cells[0].text = f"{{%tr if {tag} %}}"
        row = details.add_row()
        row.cells[0].text = label
        row.cells[0].paragraphs[0].runs[0].bold = True
        row.cells[1].text = f"{{{{ {tag} }}}}"
        if tag in ("service_areas", "author_line"):
            row = details.add_row()
            row.cells[0].text = "{%tr endif %}"
    document.add_paragraph("{{p body }}")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    document.core_properties.title = "Report"
    document.core_properties.author = "Caresight"
    document.save(OUT)
    print(f"Wrote {OUT}")


if __name__ == "__main__":
    main()
