"""The returns' dashboard tiles: returns missing, services short of PPE, vacant beds (from
each service's current return on the day); and, for a provider's staff, returns due."""

from caresight.core.dashboards import (
    Audience,
    Figure,
    Tile,
    list_link,
    memo,
    one_area,
    register_tile,
)
from caresight.core.tenancy import Capability

from . import selectors
from .models import PPE_LOW_DAYS


def _counts(user, as_of, codes, capability=Capability.VIEW_RECORDS) -> dict[int, dict]:
    return memo(user, ("returns", as_of, tuple(codes), capability),
                lambda: selectors.dashboard_counts(user=user, as_of=as_of,
                                                   authority_codes=codes,
                                                   capability=capability))


def _total(user, as_of, codes) -> dict[str, int]:
    total: dict[str, int] = {}
    for figures in _counts(user, as_of, codes).values():
        for name, value in figures.items():
            total[name] = total.get(name, 0) + value
    return total


def _missing(user, as_of, codes) -> Figure:
    total = _total(user, as_of, codes)
    expected = total.get("expected", 0)
    return Figure(value=expected - total.get("reported", 0), on=as_of, based_on=expected,
                  url=list_link("returns:completeness", as_of=as_of, authority=one_area(codes)),
                  link_text="See the chase list")


def _ppe(user, as_of, codes) -> Figure:
    total = _total(user, as_of, codes)
    return Figure(value=total.get("ppe_low", 0), on=as_of, based_on=total.get("ppe_answered", 0),
                  note=f"Fewer than {PPE_LOW_DAYS} days of any item",
                  url=list_link("returns:summary", as_of=as_of, authority=one_area(codes))
                  + "#ppe", link_text="See PPE in the returns summary")


def _beds(user, as_of, codes) -> Figure:
    total = _total(user, as_of, codes)
    return Figure(value=total.get("beds_vacant", 0), on=as_of,
                  based_on=total.get("beds_answered", 0), based_on_label="care homes",
                  url=list_link("returns:summary", as_of=as_of, authority=one_area(codes))
                  + "#beds", link_text="See beds in the returns summary")


def _by(name: str, subtract: str | None = None):
    def by_authority(user, as_of, codes) -> dict[int, int]:
        counts = _counts(user, as_of, codes, Capability.VIEW_AGGREGATES)
        return {a: c[name] - (c[subtract] if subtract else 0) for a, c in counts.items()}
    return by_authority


def _provider_due(key: str):
    def figure(user, as_of, codes) -> Figure:
        found = memo(user, ("returns-due", as_of),
                     lambda: selectors.provider_returns_due(user=user, as_of=as_of))
        return Figure(value=found[key], on=as_of, based_on=found["services"],
                      note=("No return yet for the day" if key == "due"
                            else "No return within the last week"),
                      url=list_link("returns:submit-list"), link_text="Make a return")
    return figure


def register() -> None:
    register_tile(Tile(key="returns_missing", label="Returns missing",
                       capability=Capability.VIEW_RECORDS, figure=_missing, group="Returns",
                       order=30, by_authority=_by("expected", "reported")))
    register_tile(Tile(key="returns_ppe_low", label="Services with under 7 days of PPE",
                       capability=Capability.VIEW_RECORDS, figure=_ppe, group="Returns",
                       order=31, by_authority=_by("ppe_low")))
    register_tile(Tile(key="returns_beds_vacant", label="Vacant care home beds",
                       capability=Capability.VIEW_RECORDS, figure=_beds, group="Returns",
                       order=32, by_authority=_by("beds_vacant")))
    register_tile(Tile(key="provider_returns_due", label="Returns due",
                       capability=Capability.SUBMIT_RETURNS, figure=_provider_due("due"),
                       group="Returns", order=10, audience=Audience.PROVIDER))
    register_tile(Tile(key="provider_returns_overdue", label="Returns overdue",
                       capability=Capability.SUBMIT_RETURNS, figure=_provider_due("overdue"),
                       group="Returns", order=11, audience=Audience.PROVIDER))
