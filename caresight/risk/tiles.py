"""The risk log's dashboard tiles: services rated red and amber on the day."""

import datetime as dt
from collections.abc import Sequence

from caresight.core.dashboards import Figure, Tile, list_link, memo, one_area, register_tile
from caresight.core.tenancy import Capability

from . import selectors
from .models import Rating


def _log(user, as_of: dt.date, codes: Sequence[str], capability: Capability):
    return memo(user, ("risk-log", as_of, tuple(codes), capability), lambda: selectors.risk_log(
        user=user, as_of=as_of, authority=one_area(codes), capability=capability))


def _counts(user, as_of, codes) -> dict[str, int]:
    return memo(user, ("risk-counts", as_of, tuple(codes)),
                lambda: _log(user, as_of, codes, Capability.VIEW_OUTBREAKS).counts())


def _by_authority(user, as_of, codes) -> dict[int, dict[str, int]]:
    return memo(user, ("risk-by-authority", as_of, tuple(codes)),
                lambda: selectors.counts_by_authority(
                    _log(user, as_of, codes, Capability.VIEW_AGGREGATES)))


def _rating_tile(rating: str, label: str, order: int) -> Tile:
    def figure(user, as_of, codes) -> Figure:
        counts = _counts(user, as_of, codes)
        return Figure(value=counts[rating], on=as_of, based_on=sum(counts.values()),
                      url=list_link("risk:log", rating=rating, as_of=as_of,
                                    authority=one_area(codes)),
                      link_text=f"See the services rated {rating}")

    def by_authority(user, as_of, codes) -> dict[int, int]:
        return {a: c[rating] for a, c in _by_authority(user, as_of, codes).items()}

    return Tile(key=f"risk_{rating}", label=label, capability=Capability.VIEW_OUTBREAKS,
                figure=figure, group="Risk log", order=order, by_authority=by_authority)


def register() -> None:
    register_tile(_rating_tile(Rating.RED, "Services rated red", 10))
    register_tile(_rating_tile(Rating.AMBER, "Services rated amber", 11))
