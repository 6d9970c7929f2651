"""The dashboards' tables: the figures by authority (suppressed for viewers of aggregates) and
the outbreak trend beside its chart. Declared once for the page and every download."""

from collections.abc import Sequence

from caresight.core.dashboards import Tile, suppress
from caresight.core.tables import Column, Kind, Table


def _count(key: str, suppressed: bool):
    return (lambda row: suppress(row[key])) if suppressed else key


def _total(key: str, suppressed: bool):
    def total(rows: list) -> object:
        value = sum(row[key] for row in rows)
        return suppress(value) if suppressed else value
    return total


def aggregate_table(tiles: Sequence[Tile], rows: list[dict], *, suppressed: bool = True
                    ) -> Table:
    """A row per authority, a column per tile; counts of 1 to 4 (CARESIGHT_SUPPRESS_BELOW)
    shown as "fewer than 5" on the page and in every download, totals too."""
    columns = [Column("authority", "Authority", row_header=True),
               Column("code", "ONS code", page=False)]
    columns += [Column(tile.key, tile.label, value=_count(tile.key, suppressed),
                       kind=Kind.WHOLE, total=_total(tile.key, suppressed)) for tile in tiles]
    return Table(columns=columns, rows=rows, title="Figures by authority",
                 totals_label="All", testid="by-authority", totals_testid="by-authority-total",
                 download_totals=True, empty_message="You have no authorities to show.")


def trend_table(points: list[dict], *, suppressed: bool = False) -> Table:
    columns = [Column("date", "Week to", kind=Kind.DATE, row_header=True),
               Column("live", "Live outbreaks", value=_count("live", suppressed),
                      kind=Kind.WHOLE),
               Column("new", "New in the week", value=_count("new", suppressed),
                      kind=Kind.WHOLE)]
    return Table(columns=columns, rows=points, title="Outbreaks week by week",
                 caption_size="s", testid="outbreak-trend")
