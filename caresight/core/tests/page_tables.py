"""Read a page table as people see it, for the tests of each app's page tables."""

import copy
from dataclasses import dataclass

from lxml import html as lxml_html


def seen(element) -> str:
    """An element's text as it reads on screen: visually hidden words left out, spaces
    collapsed."""
    element = copy.deepcopy(element)
    for hidden in element.xpath('.//*[contains(@class, "govuk-visually-hidden")]'):
        hidden.drop_tree()
    for br in element.iter("br"):
        br.tail = " " + (br.tail or "")
    return " ".join(element.text_content().split())


@dataclass
class PageTable:
    element: object
    caption: str  # as screen readers read it (hidden words included)
    headers: list[str]
    numeric_headers: list[str]  # the headers that are right-aligned
    rows: list[list[str]]  # each body row's cells as seen
    footer: list[str]

    def cells(self, xpath: str) -> list:
        return self.element.xpath(xpath)


def page_table(page: str | bytes, *, testid: str | None = None,
               caption: str | None = None) -> PageTable:
    """The table on `page` with that data-testid, or whose caption starts with `caption`."""
    tree = lxml_html.fromstring(page)
    if testid is not None:
        found = tree.xpath(f'//table[@data-testid="{testid}"]')
    else:
        found = [t for t in tree.xpath("//table")
                 if " ".join(t.xpath("string(caption)").split()).startswith(caption or "")]
    assert len(found) == 1, f"{len(found)} tables match {testid or caption!r}"
    table = found[0]
    heads = table.xpath("thead/tr/th")
    return PageTable(
        element=table,
        caption=" ".join(table.xpath("string(caption)").split()),
        headers=[" ".join(th.text_content().split()) for th in heads],
        numeric_headers=[" ".join(th.text_content().split()) for th in heads
                         if "govuk-table__header--numeric" in th.get("class", "")],
        rows=[[seen(cell) for cell in tr.xpath("th|td")] for tr in table.xpath("tbody/tr")],
        footer=[seen(cell) for cell in table.xpath("tfoot/tr/th|tfoot/tr/td")])
