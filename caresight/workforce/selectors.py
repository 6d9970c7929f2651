"""Reads of the council's workforce, within the user's scope, for any day: each team's week on
or before the day, the sentence the council's reports carry, and the weekly trend."""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.tenancy import Capability
from caresight.registry.selectors import area_authority_ids

from .models import ABSENCE_FIELDS, ABSENCE_REASONS, TREND_WEEKS, Team, TeamWeek, percent


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def team_list(*, user, capability: Capability = Capability.VIEW_PLANS,
              authority: str | None = None) -> QuerySet[Team]:
    """The teams the user may see (or use `capability` on), optionally of one area (an
    authority's or a region's ONS code)."""
    teams = tenancy.in_scope(user, capability, Team).select_related("authority")
    if authority:
        teams = teams.filter(authority_id__in=area_authority_ids(authority))
    return teams.order_by("authority__name", "name")


def week_list(*, user, capability: Capability = Capability.VIEW_PLANS,
              as_of: dt.date | None = None, team: int | None = None,
              authority: str | None = None, authority_codes=()) -> QuerySet[TeamWeek]:
    """Weeks recorded, newest first: those that had started by `as_of` (when given), of one
    team or area (when given)."""
    weeks = tenancy.in_scope(user, capability, TeamWeek).select_related(
        "team", "team__authority")
    if as_of is not None:
        weeks = weeks.filter(week_commencing__lte=as_of)
    if team is not None:
        weeks = weeks.filter(team_id=team)
    if authority:
        weeks = weeks.filter(team__authority_id__in=area_authority_ids(authority))
    if authority_codes:
        weeks = weeks.filter(team__authority__ons_code__in=list(authority_codes))
    return weeks.order_by("team__authority__name", "team__name", "-week_commencing")


def weeks_as_of(*, user, as_of: dt.date, team: int | None = None,
                authority: str | None = None, authority_codes=()) -> list[TeamWeek]:
    """Each team's latest week commencing on or before `as_of` (teams with none are left
    out), in team order (of the authorities `authority_codes`, when given)."""
    latest = (TeamWeek.objects.filter(team_id=OuterRef("team_id"), week_commencing__lte=as_of)
              .order_by("-week_commencing").values("week_commencing")[:1])
    return list(week_list(user=user, as_of=as_of, team=team, authority=authority,
                          authority_codes=authority_codes)
                .filter(week_commencing=Subquery(latest)))


# --- The sentence --------------------------------------------------------------------------


def _staff(count: int) -> str:
    return "1 member of staff" if count == 1 else f"{count} staff"


def _reasons(counts: dict[str, int]) -> str:
    return "; ".join(f"{words} {counts[field]}" for field, _, words in ABSENCE_REASONS)


def absence_sentences(weeks: Sequence[TeamWeek], *, as_of: dt.date,
                      today: dt.date | None = None) -> list[str]:
    """The council report's sentence for each team's week ("Commissioning currently has 15
    staff absent due to COVID-19: …"), and one for all of them when there are several.

    "currently has" for today (or later), "had" for a past day. Team names carry their
    authority's when the weeks are of several authorities.
    """
    today = today or timezone.localdate()
    current = as_of >= today
    several_authorities = len({week.team.authority_id for week in weeks}) > 1
    sentences = []
    for week in weeks:
        name = week.team.name
        if several_authorities:
            name = f"{name} ({week.team.authority.name})"
        counts = {field: getattr(week, field) for field in ABSENCE_FIELDS}
        sentences.append(_sentence(name, "currently has" if current else "had", counts))
    if len(weeks) > 1:
        counts = {field: sum(getattr(week, field) for week in weeks) for field in ABSENCE_FIELDS}
        sentences.append(_sentence(f"Across the {len(weeks)} teams, the council",
                                   "currently has" if current else "had", counts))
    return sentences


def _sentence(who: str, verb: str, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return f"{who} {verb} no staff absent due to COVID-19."
    return f"{who} {verb} {_staff(total)} absent due to COVID-19: {_reasons(counts)}."


# --- The weekly trend ----------------------------------------------------------------------


TREND_SUMS = ["staff_in_post", *ABSENCE_FIELDS, "vacancies", "redeployed_in",
              "redeployed_out"]


def trend(*, user, as_of: dt.date, weeks: int = TREND_WEEKS, team: int | None = None,
          authority: str | None = None) -> list[dict[str, Any]]:
    """The `weeks` weeks up to the one `as_of` falls in, oldest first: for each, the teams
    that recorded it, their staff in post, absences by reason, total absent, % absent,
    vacancies and staff redeployed in and out, added up over the teams (None when no team
    recorded the week)."""
    last = monday(as_of)
    first = last - dt.timedelta(weeks=weeks - 1)
    rows = {first + dt.timedelta(weeks=n): _empty_week(first + dt.timedelta(weeks=n))
            for n in range(weeks)}
    for week in week_list(user=user, as_of=as_of, team=team, authority=authority).filter(
            week_commencing__gte=first):
        row = rows.get(week.week_commencing)
        if row is None:  # not a Monday: never written by the services
            continue
        row["teams"] += 1
        for field in TREND_SUMS:
            row[field] = (row[field] or 0) + getattr(week, field)
    for row in rows.values():
        if row["teams"]:
            row["total_absent"] = sum(row[field] for field in ABSENCE_FIELDS)
            row["percent_absent"] = percent(row["total_absent"], row["staff_in_post"])
    return list(rows.values())


def _empty_week(day: dt.date) -> dict[str, Any]:
    return {"week_commencing": day, "teams": 0, **dict.fromkeys(TREND_SUMS),
            "total_absent": None, "percent_absent": None}


# --- `caresight export workforce` ----------------------------------------------------------


def weeks_export(*, authority_codes: Iterable[str], date_from: dt.date | None = None,
                 date_to: dt.date | None = None) -> QuerySet[TeamWeek]:
    """Every team's weeks commencing up to `date_to` (default today), from `date_from` when
    given, in those authorities (none given: all), for the operator's export."""
    weeks = week_list(user=tenancy.OPERATOR, as_of=date_to or timezone.localdate())
    codes = list(authority_codes)
    if codes:
        weeks = weeks.filter(team__authority__ons_code__in=codes)
    if date_from is not None:
        weeks = weeks.filter(week_commencing__gte=date_from)
    return weeks.order_by("team__authority__name", "team__name", "week_commencing")
