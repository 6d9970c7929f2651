"""What every app's commands share: the `--authority` option.

`core` knows no authorities of its own (they are the register's), so the register says what a
code stands for (`register_area_lookup`, from its `AppConfig.ready()`), and every command reads
`--authority` through `add_authority_argument`: the same codes, the same refusal, everywhere.
"""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

ENGLAND = "ENGLAND"

# code (upper case) -> the authorities it stands for (model instances; empty: unknown)
AreaLookup = Callable[[str], Sequence[Any]]
_lookup: list[AreaLookup] = []


def register_area_lookup(lookup: AreaLookup) -> None:
    """Say what an authority, region or "ENGLAND" code stands for (the register does)."""
    _lookup[:] = [lookup]


@dataclass(frozen=True)
class Area:
    """What one `--authority CODE` stands for."""

    code: str  # upper case: an authority's ONS code, a region's (E12…) or ENGLAND
    authorities: tuple[Any, ...]

    @property
    def is_england(self) -> bool:
        return self.code == ENGLAND

    @property
    def is_region(self) -> bool:
        return self.code.startswith("E12")

    @property
    def authority_ids(self) -> list[int]:
        return [a.pk for a in self.authorities]

    @property
    def authority_codes(self) -> list[str]:
        return [a.ons_code for a in self.authorities]

    @property
    def selector_code(self) -> str | None:
        """The code as the selectors take it (`authority=`): None for all of England."""
        return None if self.is_england else self.code


def area(value: str) -> Area:
    """Read one `--authority` value: an authority's ONS code, a region's, or "england"."""
    if not _lookup:
        raise RuntimeError("No app has said what authority codes stand for.")
    code = value.strip().upper()
    found = tuple(_lookup[0](code)) if code else ()
    if not found:
        raise argparse.ArgumentTypeError(
            f"Unknown authority code {value!r}: give an authority's ONS code (like E10000003), "
            "a region's (like E12000006) or england.")
    return Area(code=code, authorities=found)


def one_authority(value: str) -> Area:
    """Read an `--authority` that must name a single authority (not a region or England)."""
    found = area(value)
    if found.is_england or found.is_region:
        raise argparse.ArgumentTypeError(
            f"{value!r} stands for {len(found.authorities)} authorities: give one "
            "authority's ONS code (like E10000003).")
    return found


def add_authority_argument(parser, *, single: bool = False, many: bool = False,
                           required: bool = False, help: str = "") -> None:
    """Add `--authority CODE` to a command (or one of its subcommands).

    `single`: one authority only (no region, no England). `many`: the option may be repeated
    (a list of areas). Values are `Area`s, refused while the command line is read when unknown.
    """
    what = ("an authority's ONS code" if single
            else "an authority's ONS code, a region's (E12…) or 'england'")
    parser.add_argument(
        "--authority", metavar="CODE", type=one_authority if single else area,
        action="append" if many else "store", required=required,
        help=" ".join(part for part in (help, f"({what}{'; repeat for more' if many else ''})")
                      if part))


def authorities_of(areas: Sequence[Area] | Area | None) -> list[Any]:
    """The authorities of one or more areas, each once, in the order given."""
    if areas is None:
        return []
    if isinstance(areas, Area):
        areas = [areas]
    seen: dict[int, Any] = {}
    for found in areas:
        for authority in found.authorities:
            seen.setdefault(authority.pk, authority)
    return list(seen.values())
