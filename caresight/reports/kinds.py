"""The three generated reports and their default sections, as data (`data/report_kinds.json`).

A report is made of sections in order; each has a heading, may take the narrative entries
officers add during the period (`narrative`), and may show data sections that the apps
register (`data`: keys of `core.report_sections`). An authority's `ReportSettings` may give
its own title, author line, service areas, logo and sections in the same shape.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

KINDS_JSON = Path(__file__).resolve().parent / "data" / "report_kinds.json"


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    title: str
    period_days: int  # the default reporting period: a week, four weeks
    sections: tuple[dict, ...]


@cache
def kinds() -> dict[str, Kind]:
    data = json.loads(KINDS_JSON.read_text(encoding="utf-8"))
    return {key: Kind(key=key, label=spec["label"], title=spec["title"],
                      period_days=spec["period_days"], sections=tuple(spec["sections"]))
            for key, spec in data.items()}


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.key, kind.label) for kind in kinds().values()]


@cache
def narrative_sections() -> dict[str, str]:
    """Every section that takes narrative entries, across the reports: key -> heading (the
    first report that has it names it)."""
    out: dict[str, str] = {}
    for kind in kinds().values():
        for section in kind.sections:
            if section.get("narrative"):
                out.setdefault(section["key"], section["heading"])
    return out


def parse_sections(text: str, *, known_data: set[str]) -> list[dict]:
    """An authority's sections from the settings form, one a line:

        key | Heading | data_section, data_section | narrative

    The last two parts are optional ("narrative" or "no narrative"; narrative by default).
    Raise ValueError naming the line and what is wrong."""
    sections: list[dict] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(f"Line {number}: write the section's key and heading, separated by "
                             "“|” (for example “recovery | Recovery activities”).")
        key, heading = parts[0], parts[1]
        if not key.replace("_", "").isalnum() or key != key.lower():
            raise ValueError(f"Line {number}: the key “{key}” may have only lower-case letters, "
                             "numbers and underscores.")
        if key in seen:
            raise ValueError(f"Line {number}: the key “{key}” is used twice.")
        seen.add(key)
        data = [d.strip() for d in parts[2].split(",") if d.strip()] if len(parts) > 2 else []
        unknown = [d for d in data if d not in known_data]
        if unknown:
            raise ValueError(f"Line {number}: there is no data section called “{unknown[0]}” "
                             f"(there are: {', '.join(sorted(known_data))}).")
        narrative = True
        if len(parts) > 3 and parts[3]:
            if parts[3].lower() not in ("narrative", "no narrative"):
                raise ValueError(f"Line {number}: the last part is “narrative” or "
                                 "“no narrative”.")
            narrative = parts[3].lower() == "narrative"
        sections.append({"key": key, "heading": heading, "narrative": narrative, "data": data})
    if not sections:
        raise ValueError("Give at least one section.")
    return sections


def format_sections(sections) -> str:
    """The sections as the settings form's lines (`parse_sections` reads them back)."""
    lines = []
    for section in sections:
        parts = [section["key"], section["heading"], ", ".join(section.get("data", []))]
        parts.append("narrative" if section.get("narrative") else "no narrative")
        lines.append(" | ".join(parts))
    return "\n".join(lines)
