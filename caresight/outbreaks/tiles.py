"""The outbreak tracker's dashboard tiles: live outbreaks and new ones in the tracker's period."""

from caresight.core.dashboards import Figure, Tile, list_link, memo, one_area, register_tile
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors


def _counts(user, as_of, codes, capability=Capability.VIEW_OUTBREAKS) -> dict[int, dict]:
    return memo(user, ("outbreaks", as_of, tuple(codes), capability),
                lambda: selectors.dashboard_counts(user=user, as_of=as_of,
                                                   authority_codes=codes,
                                                   capability=capability))


def _tile(key: str, label: str, order: int, show: str) -> Tile:
    def figure(user, as_of, codes) -> Figure:
        counts = _counts(user, as_of, codes).values()
        since = selectors.default_since(as_of)
        value = sum(c[key] for c in counts)
        return Figure(
            value=value, on=as_of, based_on=None,
            note=(f"Reported since {long_date(since)}" if key == "new" else ""),
            url=list_link("outbreaks:list", show=show, as_of=as_of, since=since,
                          authority=one_area(codes)),
            link_text=f"See the {label.lower()}")

    def by_authority(user, as_of, codes) -> dict[int, int]:
        return {a: c[key] for a, c in _counts(user, as_of, codes,
                                              Capability.VIEW_AGGREGATES).items()}

    return Tile(key=f"outbreaks_{key}", label=label, capability=Capability.VIEW_OUTBREAKS,
                figure=figure, group="Outbreaks", order=order, by_authority=by_authority)


def register() -> None:
    register_tile(_tile("live", "Live outbreaks", 20, "live"))
    register_tile(_tile("new", "New outbreaks", 21, "new"))
