"""Writes for the risk log: policies, concerns, overrides and saved logs. All audited."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from caresight.core.audit import save_audited
from caresight.core.timeutils import long_date
from caresight.registry.models import Authority, Location

from . import rules
from .models import Concern, Override, Policy, Rating, SavedLog, SavedRating
from .selectors import computed_ratings, rated_locations


@transaction.atomic
def policy_set(*, authority: Authority, rules_chosen: dict, ambers_make_red: int,
               user) -> Policy:
    """Set an authority's rules. They apply to every rating worked out from now on."""
    errors = rules.policy_check(rules_chosen)
    if ambers_make_red < 0:
        errors["ambers_make_red"] = "Enter 0 or more."
    if errors:
        raise ValidationError(errors)
    policy = Policy.objects.filter(authority=authority).first() or Policy(authority=authority)
    policy.rules = {code: {k: (str(v) if k == "threshold" and v is not None else v)
                           for k, v in chosen.items()} for code, chosen in rules_chosen.items()}
    policy.ambers_make_red = ambers_make_red
    return save_audited(policy, user=user, reason="Risk rules changed")


@transaction.atomic
def concern_raise(*, location: Location, raised_on: dt.date, source: str, summary: str,
                  user) -> Concern:
    if raised_on > timezone.localdate():
        raise ValidationError({"raised_on": f"{long_date(raised_on)} is in the future."})
    if not summary.strip():
        raise ValidationError({"summary": "Describe the concern."})
    return save_audited(Concern(location=location, raised_on=raised_on, source=source,
                                summary=summary.strip(), created_by=user),
                        user=user, reason="Quality concern raised")


@transaction.atomic
def concern_close(*, concern: Concern, closed_on: dt.date, closing_note: str, user) -> Concern:
    if concern.closed_on is not None:
        raise ValidationError({"closed_on": (
            f"This concern was closed on {long_date(concern.closed_on)}.")})
    if closed_on > timezone.localdate():
        raise ValidationError({"closed_on": f"{long_date(closed_on)} is in the future."})
    if closed_on < concern.raised_on:
        raise ValidationError({"closed_on": (
            f"The concern was raised on {long_date(concern.raised_on)}; it cannot close "
            "before that.")})
    concern.closed_on, concern.closing_note = closed_on, closing_note.strip()
    return save_audited(concern, user=user, reason="Quality concern closed")


@transaction.atomic
def override_set(*, location: Location, rating: str, reason: str, starts_on: dt.date,
                 expires_on: dt.date, user) -> Override:
    """Rate a service by hand, with the reason, until the override expires."""
    errors = {}
    if rating not in Rating.values:
        errors["rating"] = "Choose red, amber or green."
    if not (reason or "").strip():
        errors["reason"] = "Give the reason for overriding the rating."
    if expires_on < starts_on:
        errors["expires_on"] = (f"The override must expire on or after it starts "
                                f"({long_date(starts_on)}).")
    if errors:
        raise ValidationError(errors)
    return save_audited(Override(location=location, rating=rating, reason=reason.strip(),
                                 starts_on=starts_on, expires_on=expires_on, created_by=user),
                        user=user, reason="Risk rating overridden")


def risk_log_save(*, authority: Authority, as_of: dt.date, user) -> SavedLog:
    """Keep an authority's log for a day as it stands, so it can be shown again as it was."""
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": f"{long_date(as_of)} is in the future."})
    try:
        with transaction.atomic():
            log = save_audited(SavedLog(authority=authority, as_of=as_of, saved_by=user),
                               user=user, reason="Risk log saved")
            rows = computed_ratings(rated_locations(user=None, as_of=as_of,
                                                    authority=authority.ons_code), as_of)
            SavedRating.objects.bulk_create([SavedRating(
                log=log, location_id=row["location_id"], rating=row["rating"],
                computed_rating=row["computed_rating"], score=row["score"], fired=row["fired"],
                override_reason=row["override_reason"],
                override_expires_on=row["override_expires_on"]) for row in rows],
                batch_size=900)
    except (IntegrityError, ValidationError) as exc:
        if SavedLog.objects.filter(authority=authority, as_of=as_of).exists():
            raise ValidationError({"as_of": (
                f"The risk log for {authority.name} on {long_date(as_of)} was already saved; "
                "a saved log is kept as it was.")}) from exc
        raise
    return log
