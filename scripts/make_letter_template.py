"""Make the Word template for allocation letters: caresight/grants/data/letter.docx.

The template is a plain Word document with docxtpl (Jinja) tags in it, filled in per provider
by `caresight.grants.letters.letter_docx`. The tags use the keys of `letter_context`. Officers
may restyle the file in Word as long as the tags stay intact; to start again from this script:

    .venv/bin/python scripts/make_letter_template.py

and commit the regenerated caresight/grants/data/letter.docx.
"""

from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx_page import a4_document

OUT = Path(__file__).resolve().parent.parent / "caresight" / "grants" / "data" / "letter.docx"


def table(document, headings: list[str], loop: str, cells: list, total: list[str] | None):
    """A table with a heading row, a docxtpl row loop over `loop`, and an optional total row."""
    t = document.add_table(rows=5 if total else 4, cols=len(headings))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, headings, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    # docxtpl removes the rows holding {%tr %} tags and repeats the rows between them.
    t.rows[1].cells[0].text = f"{{%tr for {loop} %}}"
    for cell, text in zip(t.rows[2].cells, cells, strict=True):
        # A cell given as a list holds one paragraph per item (for {%p %} loops).
        lines = text if isinstance(text, list) else [text]
        cell.text = lines[0]
        for line in lines[1:]:
            cell.add_paragraph(line)
    t.rows[3].cells[0].text = "{%tr endfor %}"
    if total:
        for cell, text in zip(t.rows[4].cells, total, strict=True):
            cell.text = text
            if cell.paragraphs[0].runs:
                cell.paragraphs[0].runs[0].bold = True
    return t


def main() -> None:
    document = a4_document({"Heading 1": 14, "Heading 2": 11})

    head = document.add_paragraph()
    head.add_run("{{ authority }}").bold = True
    head.runs[0].font.size = Pt(16)
    document.add_paragraph("{{ round }}")
    date = document.add_paragraph("{{ date }}")
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    document.add_paragraph().add_run("{{ provider.name }}").bold = True
    # {%p %} tags remove their own paragraph, so a missing detail leaves no blank line.
    document.add_paragraph("{%p if provider.contact_name %}")
    document.add_paragraph("For the attention of {{ provider.contact_name }}")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p if provider.email or provider.phone %}")
    document.add_paragraph("{{ provider.email }}{% if provider.email and provider.phone %}, "
                           "{% endif %}{{ provider.phone }}")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p if provider.cqc_provider_id %}")
    document.add_paragraph("CQC provider ID {{ provider.cqc_provider_id }}")
    document.add_paragraph("{%p endif %}")

    document.add_heading("{{ round }}: your allocation of {{ total }}", level=1)
    document.add_paragraph("{{ salutation }},")
    document.add_paragraph(
        "{{ authority }} has confirmed how it is passing on {{ round }} to care providers. "
        "{{ provider.name }} has been allocated {{ total }} for the services below, which were "
        "eligible on {{ eligibility_date }}. The money must be used for infection prevention "
        "and control.")

    document.add_heading("Your allocation", level=2)
    table(document, ["Service", "CQC location ID", "Part of the fund", "How it was worked out",
                     "Amount"], "a in allocations",
          ["{{ a.service }}", "{{ a.cqc_location_id or 'Not registered' }}", "{{ a.element }}",
           "{{ a.explanation }}", "{{ a.amount }}"],
          ["Total", "", "", "", "{{ total }}"])
    document.add_paragraph("{%p if adjustments %}")
    document.add_paragraph("Adjustments since the allocation was confirmed (included in the "
                           "total):")
    document.add_paragraph("{%p for a in adjustments %}")
    document.add_paragraph("{{ a.service }}: {{ a.amount }} ({{ a.reason }})",
                           style="List Bullet")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p endif %}")

    document.add_heading("How it will be paid", level=2)
    table(document, ["Instalment", "Share", "Amount", "Due", "Paid only if"],
          "i in instalments",
          ["{{ i.number }}", "{{ i.share }}", "{{ i.amount }}", "{{ i.due_on }}",
           ["{%p for c in i.conditions %}", "{{ c }}", "{%p endfor %}"]], None)
    document.add_paragraph("An instalment whose conditions are not met on the day it is paid "
                           "is held back until they are.")

    document.add_heading("Reporting what you spend", level=2)
    document.add_paragraph("You must tell us what you spend from this grant in each of these "
                           "categories:")
    document.add_paragraph("{%p for label in spend_categories %}")
    document.add_paragraph("{{ label }}", style="List Bullet")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("Money not spent on infection prevention and control, or not "
                           "reported, may be recovered.")

    document.add_heading("Accepting the conditions", level=2)
    document.add_paragraph("{{ accept.online }} {{ accept.paper }}")
    document.add_paragraph("Yours faithfully,")
    document.add_paragraph("{{ authority }}")

    document.add_heading("{{ round }}: agreement for {{ provider.name }}", level=2)
    document.add_paragraph("I accept the conditions of the grant set out in this letter on "
                           "behalf of {{ provider.name }}.")
    for label in ("Name", "Role", "Signature", "Date"):
        document.add_paragraph(f"{label}: ______________________________________")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    document.core_properties.title = "Allocation letter"
    document.core_properties.author = "Caresight"
    document.save(OUT)
    print(f"Wrote {OUT}")


if __name__ == "__main__":
    main()
