"""Reads for the dashboards: the tiles each app registered (core.dashboards), put together
for a user, a day and their authorities (or one of them). Nothing here counts anything itself:
every figure is a tile's, read through that app's selectors and the user's scope."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from caresight.core import dashboards, tenancy
from caresight.core.dashboards import Audience, Figure, Tile
from caresight.core.tables import format_money, format_whole
from caresight.core.tenancy import Capability
from caresight.outbreaks.selectors import weekly_live
from caresight.registry.models import Authority

TREND_WEEKS = 8


@dataclass(frozen=True)
class Shown:
    """A tile with its figure for the day."""

    tile: Tile
    figure: Figure

    @property
    def value_text(self) -> str:
        value = self.figure.value
        if value is None:
            return "–"
        return format_money(value) if self.figure.money else format_whole(int(value))

    @property
    def based_on_text(self) -> str:
        return self.figure.based_on_text


def audience_of(user) -> str | None:
    """Which dashboard the user gets: "officer", "provider", "aggregates" or None (no role).

    A provider's staff see records (their own services) but no aggregates; regional and
    national viewers hold only VIEW_AGGREGATES; everyone else with records is an officer.
    """
    records = tenancy.has_capability(user, Capability.VIEW_RECORDS)
    aggregates = tenancy.has_capability(user, Capability.VIEW_AGGREGATES)
    if records and aggregates:
        return "officer"
    if records or tenancy.has_capability(user, Capability.SUBMIT_RETURNS):
        return "provider"
    if aggregates:
        return "aggregates"
    return None


CAPABILITY = {"officer": Capability.VIEW_RECORDS, "aggregates": Capability.VIEW_AGGREGATES}


def authority_choices(*, user, audience: str) -> QuerySet[Authority]:
    """The authorities the dashboard can be narrowed to (the user's, whole), by name."""
    return tenancy.authorities(user, CAPABILITY[audience])


def grouped(shown: Sequence[Shown]) -> list[tuple[str, list[Shown]]]:
    """The tiles under their headings, in page order."""
    groups: dict[str, list[Shown]] = {}
    for item in shown:
        groups.setdefault(item.tile.group, []).append(item)
    return list(groups.items())


def officer_dashboard(*, user, as_of: dt.date, authority_codes: Sequence[str] = ()
                      ) -> list[Shown]:
    """Each officer tile the user may see, with its figure on `as_of`."""
    dashboards.fresh(user)
    codes = list(authority_codes)
    return [Shown(tile, tile.figure(user, as_of, codes))
            for tile in dashboards.tiles_for(user, Audience.OFFICER)]


def provider_dashboard(*, user, as_of: dt.date) -> list[Shown]:
    """What is due from a provider's staff on `as_of`: each provider tile they may see."""
    dashboards.fresh(user)
    return [Shown(tile, tile.figure(user, as_of, []))
            for tile in dashboards.tiles_for(user, Audience.PROVIDER)]


def aggregate_rows(*, user, as_of: dt.date, authority_codes: Sequence[str] = ()
                   ) -> tuple[list[Tile], list[dict]]:
    """The tiles with figures by authority, and a row per authority in the user's
    VIEW_AGGREGATES scope (or the one chosen): its name and each tile's count, unsuppressed
    (the table suppresses them)."""
    dashboards.fresh(user)
    codes = list(authority_codes)
    tiles = dashboards.aggregate_tiles()
    authorities = tenancy.authorities(user, Capability.VIEW_AGGREGATES)
    if codes:
        authorities = authorities.filter(ons_code__in=codes)
    values = {tile.key: tile.by_authority(user, as_of, codes)  # type: ignore[misc]
              for tile in tiles}
    rows = [{"authority": authority.name, "code": authority.ons_code,
             **{key: found.get(authority.pk, 0) for key, found in values.items()}}
            for authority in authorities.only("pk", "name", "ons_code")]
    return tiles, rows


def outbreak_trend(*, user, as_of: dt.date, authority_codes: Sequence[str] = (),
                   capability: Capability = Capability.VIEW_OUTBREAKS) -> list[dict]:
    """Live and new outbreaks week by week to `as_of`, for the chart and its table."""
    return weekly_live(user=user, as_of=as_of, weeks=TREND_WEEKS,
                       authority_codes=list(authority_codes), capability=capability)
