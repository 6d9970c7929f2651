"""The sections the generated reports are made of: each app registers its own.

An app registers a `ReportSection` from its `AppConfig.ready()` (in its `report_sections.py`).
A section's `build` reads that app's selectors for a `ReportScope` (the authorities, the date
the report is as of, and the start of its reporting period) and returns its figures as plain
JSON (`SectionFigures`): sentences, frozen tables (`core.tables.freeze`) and, optionally, a
chart's series. The reports app puts the sections an authority chose in its order, keeps the
figures when a report is published, and draws the same figures as a page, a PDF and a Word
document. Nothing in a section's figures may depend on the clock: the same scope and the same
data give the same figures.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from caresight.core.tenancy import Capability


@dataclass(frozen=True)
class ReportScope:
    user: Any  # whose scope the figures are read in (tenancy.OPERATOR for the scheduler)
    authority_codes: tuple[str, ...]  # one authority, or the authorities of a joint area
    as_of: dt.date
    period_from: dt.date  # the first day of the reporting period (as_of is its last)
    previous_as_of: dt.date | None = None  # the day "previous" figures are for (a week before)

    @property
    def previous(self) -> dt.date:
        return self.previous_as_of or self.as_of - dt.timedelta(days=7)


class Chart(TypedDict, total=False):
    kind: str  # "line"
    title: str
    dates: list[str]  # ISO dates
    series: list[list[Any]]  # [label, [value or None, ...]]
    y_label: str
    percent: bool


class SectionFigures(TypedDict, total=False):
    paragraphs: list[str]  # sentences made from the figures ("4 live outbreaks …")
    tables: list[dict]  # frozen tables (core.tables.freeze)
    charts: list[Chart]  # each shown beside its table (one of `tables`)
    based_on: int  # how many services, risks, actions … the figures are about


@dataclass(frozen=True)
class ReportSection:
    key: str  # "outbreak_update": what an authority's report settings name
    heading: str  # the default heading ("Outbreak update")
    help: str  # what it shows, for the settings page
    capability: Capability  # who may see it built live (a published report is frozen)
    build: Callable[[ReportScope], SectionFigures]
    kinds: Sequence[str] = field(default=("highlight", "committee", "outbreak_update"))


SECTIONS: dict[str, ReportSection] = {}


def register_section(section: ReportSection) -> None:
    if section.key in SECTIONS and SECTIONS[section.key] != section:
        raise ValueError(f"Two report sections are called {section.key!r}.")
    SECTIONS[section.key] = section


def sections() -> dict[str, ReportSection]:
    return SECTIONS


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """"1 live outbreak", "4 live outbreaks", "1,234 services": a count and its noun."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"
