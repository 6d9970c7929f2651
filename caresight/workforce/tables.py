"""The workforce app's tables: declared once for its pages, downloads and `export`."""

from collections.abc import Iterable

from django.urls import reverse

from caresight.core.tables import Column, Kind, Link, Table
from caresight.core.timeutils import long_date

from .models import ABSENCE_REASONS, percent


def _percent_of_totals(rows: list) -> object:
    """The overall % absent: all absent over all staff in post (not an average of %s)."""
    def read(row, key):
        return (row.get(key) if isinstance(row, dict) else getattr(row, key)) or 0

    return percent(sum(read(r, "total_absent") for r in rows),
                   sum(read(r, "staff_in_post") for r in rows))


def _count_columns(*, total: bool) -> list[Column]:
    """Staff in post, absences by reason, total and % absent, vacancies, redeployed."""
    return [
        Column("staff_in_post", "Staff in post", kind=Kind.WHOLE, total=total),
        *[Column(field, label, kind=Kind.WHOLE, total=total)
          for field, label, _ in ABSENCE_REASONS],
        Column("total_absent", "Total absent", kind=Kind.WHOLE, total=total),
        Column("percent_absent", "% absent", kind=Kind.PERCENT,
               total=_percent_of_totals if total else False),
        Column("vacancies", "Vacancies", kind=Kind.WHOLE, total=total),
        Column("redeployed_in", "Redeployed in", kind=Kind.WHOLE, total=total),
        Column("redeployed_out", "Redeployed out", kind=Kind.WHOLE, total=total),
    ]


def teams_as_of_table(weeks: Iterable, *, title: str) -> Table:
    """Each team's week on or before the day, with totals across the teams."""
    return Table(columns=[
        Column("team", "Team", value="team.name", row_header=True,
               link=lambda w: reverse("workforce:team-detail", args=[w.team_id])),
        Column("authority", "Authority", value="team.authority.name"),
        Column("week_commencing", "Week commencing", kind=Kind.DATE),
        *_count_columns(total=True),
    ], rows=weeks, title=title, empty_message="No team had recorded a week by this day.")


def team_weeks_table(weeks: Iterable, *, can_manage: bool) -> Table:
    """One team's weeks, newest first, with links to correct each and see its history."""
    def links(week) -> list[Link]:
        when = f" for the week commencing {long_date(week.week_commencing)}"
        out = [Link("History", reverse("workforce:week-history", args=[week.pk]), when)]
        if can_manage:
            out.insert(0, Link("Change", reverse("workforce:week-edit", args=[week.pk]), when))
        return out

    return Table(columns=[
        Column("week_commencing", "Week commencing", kind=Kind.DATE, row_header=True),
        *_count_columns(total=False),
        Column("note", "Note", empty=""),
        Column("actions", "Actions", value=lambda w: "", empty="", links=links,
               links_inline=True, header_hidden=True, download=False),
    ], rows=weeks, title="Weeks recorded", empty_message="No week recorded yet.")


TREND_TITLE = "COVID-19 absences week by week"


def trend_table(rows: Iterable[dict], *, title: str = TREND_TITLE) -> Table:
    """The weekly trend: the teams' figures added up, week by week (oldest first)."""
    return Table(columns=[
        Column("week_commencing", "Week commencing", kind=Kind.DATE, row_header=True),
        Column("teams", "Teams recording", kind=Kind.WHOLE),
        *_count_columns(total=False),
    ], rows=rows, title=title)


def weeks_export_table(weeks: Iterable, *, title: str = "Council workforce by week") -> Table:
    """For `caresight export workforce`: every team's weeks, one row each."""
    return Table(columns=[
        Column("authority", "Authority", value="team.authority.name"),
        Column("authority_code", "Authority code", value="team.authority.ons_code"),
        Column("team", "Team", value="team.name"),
        Column("week_commencing", "Week commencing", kind=Kind.DATE),
        *_count_columns(total=False),
        Column("note", "Note"),
    ], rows=weeks, title=title)


# Shorter names for the chart's legend (the table beside it has the full ones).
CHART_LABELS = {"absent_symptoms": "Symptoms", "absent_household": "Household member",
                "absent_shielding": "Shielding", "absent_positive": "COVID-19 positive",
                "absent_other": "Other"}


def chart_series(rows: list[dict]) -> list[tuple[str, list]]:
    """The trend's absences by reason and in total, as the chart's lines."""
    series: list[tuple[str, list]] = [
        (CHART_LABELS[field], [row[field] for row in rows]) for field, _, _ in ABSENCE_REASONS]
    series.append(("Total absent", [row["total_absent"] for row in rows]))
    return series
