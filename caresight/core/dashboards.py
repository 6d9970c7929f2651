"""The dashboard tiles each app offers, and small-number suppression for every aggregate.

An app registers its `Tile`s from its `AppConfig.ready()` (in a module `<app>/tiles.py` that
reads that app's own selectors); the dashboards app lays out the tiles a user may see. A tile's
function takes (user, as_of, authority_codes) — `authority_codes` empty for every authority
of the user's — and returns a `Figure`: the value, what it is based on, the day it is for and
the link to the list behind it. A tile that regional and national viewers see too also has a
`by_authority` function: (user, as_of, authority_codes) -> {authority ID: value}, counted
through the user's VIEW_AGGREGATES scope, which the page suppresses (`suppress`).

The landing page itself is the dashboards app's: `core.views.home` (URL "home") asks for the
view registered with `register_landing`, so that core imports no domain app.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from caresight.core import tenancy
from caresight.core.tenancy import Capability


class Audience(StrEnum):
    OFFICER = "officer"  # council officers and partners: the authority's figures
    PROVIDER = "provider"  # a provider's staff: what is due from them


@dataclass(frozen=True)
class Figure:
    """One tile's figure: a count (or an amount) on a day, what it is based on, and the list."""

    value: int | Decimal | None
    on: dt.date
    url: str  # the list behind the figure (with the same day and authority where it takes them)
    based_on: int | None = None  # the services (or rounds, actions…) the figure counts among
    based_on_label: str = "services"
    based_on_one: str = ""  # the label for 1 (default: the label less its final "s")
    note: str = ""  # a sentence beside the figure ("Next due on 4 December 2026")
    money: bool = False  # an amount in pounds, not a count
    link_text: str = ""  # the link's words (default: "See the list")


    @property
    def based_on_text(self) -> str:
        """"Based on 160 services" (empty for a figure that is not a share of anything)."""
        if self.based_on is None:
            return ""
        label = self.based_on_label
        if self.based_on == 1:
            label = self.based_on_one or label.removesuffix("s")
        return f"Based on {self.based_on:,} {label}"


@dataclass(frozen=True)
class Tile:
    key: str  # unique, stable: also the column key of the by-authority download
    label: str  # what the figure is ("Live outbreaks")
    capability: Capability  # who sees the tile (anywhere in their scope)
    figure: Callable[[Any, dt.date, Sequence[str]], Figure]
    group: str  # the heading the tile goes under ("Outbreaks", "Returns"…)
    order: int = 100  # place on the page, smallest first
    audience: Audience = Audience.OFFICER
    # For regional and national viewers: {authority ID: count} through VIEW_AGGREGATES.
    by_authority: Callable[[Any, dt.date, Sequence[str]], dict[int, int]] | None = None


TILES: dict[str, Tile] = {}


def register_tile(tile: Tile) -> None:
    if tile.key in TILES and TILES[tile.key] != tile:
        raise ValueError(f"Two dashboard tiles are called {tile.key!r}.")
    TILES[tile.key] = tile


def tiles_for(user, audience: Audience) -> list[Tile]:
    """The tiles of `audience` that `user` may see, in page order."""
    return sorted((t for t in TILES.values()
                   if t.audience == audience and tenancy.has_capability(user, t.capability)),
                  key=lambda t: (t.order, t.key))


def aggregate_tiles() -> list[Tile]:
    """The tiles with figures by authority (for viewers of aggregates), in page order."""
    return sorted((t for t in TILES.values() if t.by_authority is not None),
                  key=lambda t: (t.order, t.key))


# --- Landing page ---------------------------------------------------------------------------

_LANDING: list[Callable] = []


def register_landing(view: Callable) -> None:
    """The view `core.views.home` shows (the dashboards app's); one only."""
    _LANDING[:] = [view]


def landing() -> Callable | None:
    return _LANDING[0] if _LANDING else None


# --- Small-number suppression ---------------------------------------------------------------


def suppress_below() -> int:
    """Counts from 1 to this less one are not shown to viewers of aggregates (default 5)."""
    return int(getattr(settings, "CARESIGHT_SUPPRESS_BELOW", 5))


def is_suppressed(value, below: int | None = None) -> bool:
    below = suppress_below() if below is None else below
    return value is not None and 0 < value < below


def suppress(value, below: int | None = None) -> int | Decimal | str | None:
    """A count as an aggregate may show it: "fewer than 5" for 1 to 4 (so that no figure points
    at one home), otherwise the count itself (0 stays 0; None, no figure, stays None). For
    pages and downloads alike."""
    below = suppress_below() if below is None else below
    if is_suppressed(value, below):
        return f"fewer than {below}"
    return value


def list_link(url_name: str, *args, **query) -> str:
    """The URL of the list behind a figure, with its query (empty values left out)."""
    params = {k: (v.isoformat() if isinstance(v, dt.date) else v)
              for k, v in query.items() if v not in (None, "")}
    url = reverse(url_name, args=args)
    return f"{url}?{urlencode(params)}" if params else url


def one_area(authority_codes: Sequence[str]) -> str | None:
    """The one authority's code for selectors that take an area (None: all the user's)."""
    return authority_codes[0] if len(authority_codes) == 1 else None



_MEMO = "_caresight_dashboard"


def memo(user, key: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()` once per dashboard for `user`: tiles that share a read (red and amber from
    one risk log) ask for it with the same key. `fresh(user)` forgets it."""
    found = user.__dict__.setdefault(_MEMO, {})
    if key not in found:
        found[key] = compute()
    return found[key]


def fresh(user) -> None:
    """Forget what `memo` kept for `user` (before each dashboard is worked out)."""
    user.__dict__.pop(_MEMO, None)
