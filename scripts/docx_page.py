"""What the Word templates share: an A4 document with 18 mm margins, Liberation Sans 10 pt,
and plain black headings in the body font (not Word's coloured theme headings)."""

from docx import Document
from docx.shared import Mm, Pt, RGBColor


def a4_document(headings: dict[str, int]):
    """A new document set up so; `headings` maps style names ("Heading 1") to point sizes."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(18))
    normal = document.styles["Normal"]
    normal.font.name = "Liberation Sans"
    normal.font.size = Pt(10)
    for name, size in headings.items():
        style = document.styles[name]
        style.font.name, style.font.size = "Liberation Sans", Pt(size)
        style.font.color.rgb = RGBColor(0x0B, 0x0C, 0x0C)
        fonts = style.element.rPr.rFonts if style.element.rPr is not None else None
        if fonts is None:
            continue
        for attribute in list(fonts.attrib):
            if attribute.endswith("Theme") or attribute.endswith("theme"):
                del fonts.attrib[attribute]  # a theme font would win over the one named
    return document
