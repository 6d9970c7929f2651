"""The beds' dashboard tiles: commissioned beds free on the day, people past their scheme's
intended stay and placements ending this week; and, for viewers of aggregates, the free beds and
overstays by authority (the dashboards page suppresses small numbers)."""

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from django.db.models import Count

from caresight.core import tenancy
from caresight.core.dashboards import Figure, Tile, list_link, memo, one_area, register_tile
from caresight.core.tenancy import Capability

from . import selectors
from .models import Placement

C = Capability


def _figures(user, as_of: dt.date, codes: Sequence[str],
             capability: Capability = C.VIEW_BEDS) -> list[selectors.SchemeFigures]:
    """The schemes running on `as_of` with their beds, in the chosen authorities."""
    return memo(user, ("beds", as_of, tuple(codes), capability),
                lambda: selectors.scheme_figures(user=user, as_of=as_of, capability=capability,
                                                 authority_codes=codes))


def _placements(user, as_of: dt.date, codes: Sequence[str], read) -> list[Placement]:
    """`read(user=, as_of=, authority=)` (overstays, ending soon) in the chosen authorities."""
    def found() -> list[Placement]:
        placements = read(user=user, as_of=as_of, authority=one_area(codes))
        if len(codes) > 1:
            wanted = {code.upper() for code in codes}
            placements = [p for p in placements if p.scheme.authority.ons_code in wanted]
        return placements
    return memo(user, ("beds", read.__name__, as_of, tuple(codes)), found)


def _link(user, url_name: str, as_of: dt.date, codes: Sequence[str]) -> str:
    """The beds page for the day, narrowed to the one authority chosen when the user sees
    schemes there (the pages offer only the authorities with schemes)."""
    code = one_area(codes)
    if code and not memo(user, ("beds-area", code), lambda: selectors.scheme_list(
            user=user, authority=code).exists()):
        code = None
    return list_link(url_name, as_of=as_of, authority=code)


def _occupied(user, as_of, codes) -> int:
    return sum(d.occupied for d in _figures(user, as_of, codes))


def _free(user, as_of, codes) -> Figure:
    days = _figures(user, as_of, codes)
    commissioned = sum(d.commissioned for d in days)
    occupied = sum(d.occupied for d in days)
    return Figure(value=sum(d.free for d in days), on=as_of, based_on=len(days),
                  based_on_label="schemes",
                  note=f"{commissioned:,} commissioned, {occupied:,} occupied",
                  url=_link(user, "beds:occupancy", as_of, codes),
                  link_text="See occupancy by scheme")


def _overstays(user, as_of, codes) -> Figure:
    found = _placements(user, as_of, codes, selectors.overstays)
    return Figure(value=len(found), on=as_of, based_on=_occupied(user, as_of, codes),
                  based_on_label="people in a bed", based_on_one="person in a bed",
                  note="Past their scheme's longest intended stay",
                  url=_link(user, "beds:attention", as_of, codes),
                  link_text="See the overstays")


def _ending(user, as_of, codes) -> Figure:
    found = _placements(user, as_of, codes, selectors.ending_soon)
    return Figure(value=len(found), on=as_of, based_on=_occupied(user, as_of, codes),
                  based_on_label="people in a bed", based_on_one="person in a bed",
                  note="Expected to leave today or in the next six days",
                  url=_link(user, "beds:attention", as_of, codes),
                  link_text="See the placements ending this week")


def _free_by_authority(user, as_of, codes) -> dict[int, int]:
    free: Counter = Counter()
    for day in _figures(user, as_of, codes, C.VIEW_AGGREGATES):
        free[day.authority_id] += day.free
    return dict(free)


def _overstays_by_authority(user, as_of, codes) -> dict[int, int]:
    """authority ID -> the people in a bed on `as_of` past their scheme's intended stay, over
    the user's VIEW_AGGREGATES scope (counted: no person is read)."""
    def count() -> dict[int, int]:
        placements = tenancy.in_scope(user, C.VIEW_AGGREGATES, Placement)
        if codes:
            placements = placements.filter(
                scheme__authority__ons_code__in=[c.upper() for c in codes])
        return dict(selectors.overstaying_on(placements, as_of).order_by()
                    .values("scheme__authority_id").annotate(n=Count("pk"))
                    .values_list("scheme__authority_id", "n"))
    return memo(user, ("beds-overstays-by-authority", as_of, tuple(codes)), count)


def register() -> None:
    register_tile(Tile(key="beds_free", label="Commissioned beds free",
                       capability=C.VIEW_BEDS, figure=_free, group="Beds", order=50,
                       by_authority=_free_by_authority))
    register_tile(Tile(key="beds_overstays", label="Overstays", capability=C.VIEW_BEDS,
                       figure=_overstays, group="Beds", order=51,
                       by_authority=_overstays_by_authority))
    register_tile(Tile(key="beds_ending", label="Placements ending this week",
                       capability=C.VIEW_BEDS, figure=_ending, group="Beds", order=52))
