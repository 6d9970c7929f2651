"""Writes for the risk log: policies, concerns, overrides and saved logs (all audited), and
the worked-out logs kept in the database (derived data, kept current by `risk_logs_refresh`)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from caresight.core.audit import BATCH, history_values, save_audited
from caresight.core.db import ids_filters, insert_new
from caresight.core.tenancy import OPERATOR, actor
from caresight.core.timeutils import long_date
from caresight.registry.models import Authority, Location

from . import rules
from .models import Concern, InputsVersion, Override, Policy, Rating, SavedLog, SavedRating
from .rating import collector_paused, computed_ratings, rated_locations


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
                                summary=summary.strip(), created_by=actor(user)),
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
                                 starts_on=starts_on, expires_on=expires_on,
                                 created_by=actor(user)),
                        user=user, reason="Risk rating overridden")


RATING_FIELDS = ["log_id", "location_id", "rating", "computed_rating", "score", "fired",
                 "override_reason", "override_expires_on"]


def _rating_rows(log: SavedLog, rows: list[dict]) -> list[tuple]:
    """The log's rows as `SavedRating` values, in the order of RATING_FIELDS."""
    return [(log.pk, row["location_id"], row["rating"], row["computed_rating"], row["score"],
             row["fired"], row["override_reason"], row["override_expires_on"]) for row in rows]


def risk_log_save(*, authority: Authority, as_of: dt.date, user) -> SavedLog:
    """Keep an authority's log for a day as it stands, so it can be shown again as it was."""
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": f"{long_date(as_of)} is in the future."})
    try:
        with transaction.atomic():
            log = save_audited(SavedLog(authority=authority, as_of=as_of, saved_by=actor(user)),
                               user=user, reason="Risk log saved")
            rows = computed_ratings(rated_locations(user=OPERATOR, as_of=as_of,
                                                    authority=authority.ons_code), as_of)
            insert_new(SavedRating, RATING_FIELDS, _rating_rows(log, rows))
    except (IntegrityError, ValidationError) as exc:
        if SavedLog.objects.filter(authority=authority, as_of=as_of,
                                   kind=SavedLog.Kind.SAVED).exists():
            raise ValidationError({"as_of": (
                f"The risk log for {authority.name} on {long_date(as_of)} was already saved; "
                "a saved log is kept as it was.")}) from exc
        raise
    return log


# What each kind of record the ratings are worked out from is to its authority (from its
# history rows, so that deleted rows and services that moved count too); a provider counts for
# the authorities of its services.
RATING_INPUTS = {
    "registry.location": "authority_id",
    "returns.return": "location__authority_id",
    "outbreaks.outbreak": "location__authority_id",
    "outbreaks.update": "outbreak__location__authority_id",
    "outbreaks.statuschange": "outbreak__location__authority_id",
    "risk.concern": "location__authority_id",
    "risk.override": "location__authority_id",
    "risk.policy": "authority_id",
}


def rating_inputs_changed(*, model: type[models.Model], pks: list,
                          authority_ids: Iterable[int] | None = None) -> None:
    """Count a change to the data of the authorities these rows belong to (`authority_ids`,
    when the writer knows them), so that their kept logs are out of date (read worked out
    afresh) until they are refreshed, and refresh them in the background once the change has
    committed.

    Called for every audited write (`core.audit.history_written`), inside its transaction:
    the change and its count commit together, so a log can never be kept at a count that
    does not include a change it did not see.
    """
    label = model._meta.label_lower
    if label != "registry.provider" and label not in RATING_INPUTS:
        return
    if authority_ids is not None:
        _count_change(set(authority_ids))
        return
    if label != "registry.provider":
        _count_change(history_values(model, pks, RATING_INPUTS[label]))
        return
    found_ids: set[int] = set()
    for ids_q in ids_filters(Location, pks, "provider"):
        found_ids.update(Location.objects.filter(ids_q).order_by()
                         .values_list("authority_id", flat=True).distinct())
    _count_change(found_ids)


def _count_change(authority_ids: set[int]) -> None:
    if not authority_ids:
        return
    ordered = sorted(authority_ids)  # one order of row locks for every writer
    InputsVersion.objects.bulk_create([InputsVersion(authority_id=a) for a in ordered],
                                      ignore_conflicts=True)
    InputsVersion.objects.filter(authority_id__in=ordered).update(version=F("version") + 1)
    _refresh_after_commit(ordered)


class _RefreshAfterCommit:
    """One background refresh for every change a transaction makes (an import makes many)."""

    def __init__(self) -> None:
        self.authority_ids: set[int] = set()

    def __call__(self) -> None:
        from .tasks import refresh_risk_logs

        refresh_risk_logs.enqueue(authority_ids=sorted(self.authority_ids),
                                  as_of=timezone.localdate().isoformat())


def _refresh_after_commit(authority_ids: Iterable[int]) -> None:
    connection = transaction.get_connection()
    pending = getattr(connection, "_caresight_risk_refresh", None)
    # Still waiting for this transaction to commit? (Not if it committed or rolled back.)
    if pending is None or not any(func is pending for _, func, *_ in connection.run_on_commit):
        pending = _RefreshAfterCommit()
        connection._caresight_risk_refresh = pending  # type: ignore[attr-defined]
        pending.authority_ids.update(authority_ids)
        transaction.on_commit(pending)
        return
    pending.authority_ids.update(authority_ids)


def risk_logs_refresh(*, as_of: dt.date | None = None,
                      authority_ids: Iterable[int] | None = None) -> int:
    """Keep the worked-out logs of these authorities (default: every authority with services)
    for `as_of` (default today) current: work out again, and write, those whose data changed
    since they were kept (or never kept). Return how many were written.

    Run in the background after every audited write that changes what ratings are worked out
    from (and so after every import), and by `caresight risk refresh`. Kept logs out of date
    on other days lose their ratings at the same time, so an authority keeps ratings only for
    the days refreshed since its data last changed.
    """
    as_of = as_of or timezone.localdate()
    if authority_ids is None:
        authority_ids = Location.objects.order_by().values_list(
            "authority_id", flat=True).distinct()
    wanted = set(authority_ids)
    for _attempt in range(3):
        try:
            with collector_paused():
                return _refresh(wanted, as_of)
        except IntegrityError:
            continue  # another refresh was keeping the same logs at the same time: again
    raise RuntimeError(f"Could not keep the risk logs of {as_of}: they kept changing.")


def _refresh(authority_ids: set[int], as_of: dt.date) -> int:
    if not authority_ids:
        return 0
    versions = dict(InputsVersion.objects.filter(authority_id__in=authority_ids)
                    .values_list("authority_id", "version"))
    kept = {log.authority_id: log for log in SavedLog.objects.filter(
        kind=SavedLog.Kind.WORKED_OUT, as_of=as_of, authority_id__in=authority_ids)}
    stale = sorted(a for a in authority_ids
                   if a not in kept or kept[a].inputs_version != versions.get(a, 0))
    if not stale:
        return 0
    # Worked out before the transaction, so that on PostgreSQL the reads run on two
    # connections (core.db.in_parallel). The versions were read first: a change committed
    # meanwhile leaves these logs at an older count, to be refreshed again (its own commit
    # queued a refresh) and worked out afresh when read until then.
    rows_by_authority: dict[int, list[dict]] = defaultdict(list)
    for row in computed_ratings(rated_locations(user=OPERATOR, as_of=as_of)
                                .filter(authority_id__in=stale), as_of):
        rows_by_authority[row["authority_id"]].append(row)
    with transaction.atomic():
        _drop_out_of_date(stale, versions)
        new = [SavedLog(authority_id=a, as_of=as_of, kind=SavedLog.Kind.WORKED_OUT,
                        inputs_version=versions.get(a, 0)) for a in stale if a not in kept]
        SavedLog.objects.bulk_create(new)  # derived data: no history
        renewed = [kept[a] for a in stale if a in kept]
        for log in renewed:
            log.inputs_version = versions.get(log.authority_id, 0)
        SavedLog.objects.bulk_update(renewed, ["inputs_version"])
        logs = new + renewed
        insert_new(SavedRating, RATING_FIELDS,
                   [rating for log in logs
                    for rating in _rating_rows(log, rows_by_authority[log.authority_id])])
    return len(logs)


def _drop_out_of_date(authority_ids: list[int], versions: dict[int, int]) -> None:
    """Drop the ratings of these authorities' worked-out logs that are out of date (any day)."""
    out_of_date = [log.pk for log in SavedLog.objects.filter(
        kind=SavedLog.Kind.WORKED_OUT, authority_id__in=authority_ids,
        inputs_version__isnull=False).only("pk", "authority_id", "inputs_version")
        if log.inputs_version != versions.get(log.authority_id, 0)]
    for start in range(0, len(out_of_date), BATCH):
        chunk = out_of_date[start:start + BATCH]
        SavedRating.objects.filter(log_id__in=chunk).delete()
        SavedLog.objects.filter(pk__in=chunk).update(inputs_version=None)
