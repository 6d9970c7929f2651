"""The reports' dashboard tile: last week's highlight report, not yet published."""

import datetime as dt

from caresight.core.dashboards import Figure, Tile, list_link, register_tile
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors


def last_week(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and Sunday of the last whole week before `as_of`'s week."""
    monday = as_of - dt.timedelta(days=as_of.weekday() + 7)
    return monday, monday + dt.timedelta(days=6)


def _due(user, as_of, codes) -> Figure:
    monday, sunday = last_week(as_of)
    found = selectors.unpublished_councils(user=user, kind="highlight", period_from=monday,
                                           as_of=sunday, authority_codes=codes)
    return Figure(value=found["due"], on=as_of, based_on=found["councils"],
                  based_on_label="councils",
                  note=f"Last week's highlight report: {long_date(monday)} to "
                       f"{long_date(sunday)}",
                  url=list_link("reports:index", kind="highlight", as_of=sunday,
                                **{"from": monday}),
                  link_text="Build and publish it" if found["due"] else "See the reports")


def register() -> None:
    register_tile(Tile(key="reports_due", label="Reports due",
                       capability=Capability.PUBLISH_REPORTS, figure=_due,
                       group="Plans and risks", order=60))
