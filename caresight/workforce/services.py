"""Writes for the council's workforce: teams and their weeks (validated, audited)."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from caresight.core.audit import save_audited
from caresight.core.tenancy import actor
from caresight.core.timeutils import long_date
from caresight.registry.models import Authority

from .models import ABSENCE_FIELDS, COUNT_FIELDS, Team, TeamWeek


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Enter the team's name."})
    return name


@transaction.atomic
def team_create(*, authority: Authority, name: str, user) -> Team:
    name = _name(name)
    if Team.objects.filter(authority=authority, name__iexact=name).exists():
        raise ValidationError({"name": f"{authority.name} already has a team called {name}."})
    return save_audited(Team(authority=authority, name=name, created_by=actor(user)),
                        user=user, reason="Team added")


@transaction.atomic
def team_update(*, team: Team, name: str, user) -> Team:
    name = _name(name)
    if Team.objects.filter(authority_id=team.authority_id, name__iexact=name).exclude(
            pk=team.pk).exists():
        raise ValidationError({"name": f"{team.authority.name} already has a team called "
                                       f"{name}."})
    team.name = name
    return save_audited(team, user=user, reason="Team renamed")


def check_week_commencing(day: dt.date) -> None:
    """A week is given by its Monday, and must have started: anything else is refused."""
    if day.weekday() != 0:
        monday = day - dt.timedelta(days=day.weekday())
        raise ValidationError({"week_commencing": (
            f"The week commencing must be a Monday: {long_date(day)} is a {day:%A}; "
            f"that week's Monday is {long_date(monday)}.")})
    if day > timezone.localdate():
        raise ValidationError({"week_commencing": (
            f"The week commencing {long_date(day)} is in the future.")})


def _check_counts(counts: dict[str, Any]) -> dict[str, int]:
    """The week's counts as whole numbers of 0 or more, absences within staff in post;
    ValidationError naming every field that is wrong."""
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for field in COUNT_FIELDS:
        value = counts.get(field, None if field == "staff_in_post" else 0)
        label = str(getattr(TeamWeek._meta.get_field(field), "verbose_name", field))
        if field == "staff_in_post" and value is None:
            errors[field] = "Enter the staff in post."
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[field] = f"Enter {label} as a whole number."
        elif value < 0:
            errors[field] = f"{label[0].upper()}{label[1:]} must be 0 or more, not {value}."
        else:
            clean[field] = value
    if not errors:
        absent = sum(clean[field] for field in ABSENCE_FIELDS)
        if absent > clean["staff_in_post"]:
            errors["staff_in_post"] = (
                f"Staff in post ({clean['staff_in_post']}) must be at least the staff absent "
                f"({absent} in all): an absence count above staff in post.")
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def team_week_record(*, team: Team, week_commencing: dt.date, user, note: str = "",
                     **counts) -> TeamWeek:
    """Record a team's week: a new row, or the week's row corrected if it was recorded."""
    unknown = set(counts) - set(COUNT_FIELDS)
    if unknown:
        raise ValidationError({name: "This is not a count of a week." for name in sorted(unknown)})
    check_week_commencing(week_commencing)
    clean = _check_counts(counts)
    week = (TeamWeek.objects.select_for_update().filter(
        team=team, week_commencing=week_commencing).first())
    if week is not None:
        return _save(week, clean, note, user=user, reason="Week recorded again")
    week = TeamWeek(team=team, week_commencing=week_commencing, created_by=actor(user))
    return _save(week, clean, note, user=user, reason="Week recorded")


@transaction.atomic
def team_week_update(*, week: TeamWeek, user, **changes) -> TeamWeek:
    """Correct a week's counts or note (the week itself stays as it is); what is not given
    keeps its value."""
    unknown = set(changes) - {*COUNT_FIELDS, "note"}
    if unknown:
        raise ValidationError({name: "This cannot be changed." for name in sorted(unknown)})
    counts = {field: changes.get(field, getattr(week, field)) for field in COUNT_FIELDS}
    clean = _check_counts(counts)
    return _save(week, clean, changes.get("note", week.note), user=user,
                 reason="Week corrected")


def _save(week: TeamWeek, counts: dict[str, int], note: str, *, user, reason: str
          ) -> TeamWeek:
    for field, value in counts.items():
        setattr(week, field, value)
    week.note = (note or "").strip()
    return save_audited(week, user=user, reason=reason)
