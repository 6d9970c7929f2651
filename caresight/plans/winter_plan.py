"""The government's winter plan checklists, shipped as data: one file per year in `data/`
(`winter_plan_2020_21.json`). Next year's checklist is a new file, not code.

A file: {"code", "title", "published", "areas": [{"code", "name", "requirements": [{"code",
"text", "due"}]}]}; codes are unique within the file and are what responses are kept against.
"""

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Requirement:
    code: str
    text: str
    due: dt.date | None
    area_code: str
    area_name: str


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True)
class Checklist:
    code: str
    title: str
    published: dt.date
    areas: tuple[Area, ...]

    @property
    def requirements(self) -> list[Requirement]:
        return [r for area in self.areas for r in area.requirements]

    def requirement(self, code: str) -> Requirement | None:
        return next((r for r in self.requirements if r.code == code), None)


class ChecklistError(ValueError):
    pass


def read_checklist(path: Path) -> Checklist:
    """One checklist file, checked: every area and requirement has a unique code and text."""
    data = json.loads(path.read_text(encoding="utf-8"))
    codes: set[str] = set()
    areas = []
    for area in data["areas"]:
        requirements = []
        for item in area["requirements"]:
            for code in (item["code"],):
                if code in codes:
                    raise ChecklistError(f"{path.name}: the code {code!r} is used twice.")
                codes.add(code)
            if not item.get("text", "").strip():
                raise ChecklistError(f"{path.name}: requirement {item['code']} has no text.")
            requirements.append(Requirement(
                code=item["code"], text=item["text"].strip(),
                due=dt.date.fromisoformat(item["due"]) if item.get("due") else None,
                area_code=area["code"], area_name=area["name"]))
        if area["code"] in codes:
            raise ChecklistError(f"{path.name}: the code {area['code']!r} is used twice.")
        codes.add(area["code"])
        areas.append(Area(code=area["code"], name=area["name"],
                          requirements=tuple(requirements)))
    return Checklist(code=data["code"], title=data["title"],
                     published=dt.date.fromisoformat(data["published"]), areas=tuple(areas))


@cache
def checklists() -> dict[str, Checklist]:
    """Every checklist shipped, by code, the newest last."""
    found = [read_checklist(path) for path in sorted(DATA.glob("winter_plan_*.json"))]
    return {c.code: c for c in sorted(found, key=lambda c: c.published)}


def checklist(code: str | None = None) -> Checklist:
    """The checklist with this code, or the newest; KeyError for an unknown code."""
    every = checklists()
    if code is None:
        return list(every.values())[-1]
    return every[code]
