"""Notifications: tell people what happened or is due, once, the way each chose.

    notify(kind, users, subject=…, body=…, link="/outbreaks/3/", dedupe_key="outbreak_reported:3",
           cause=outbreak, authorities=[authority])

For each user whose choice for the kind is not "off", a `Notification` is kept (listed at
*Your notifications*) unless one with the same `dedupe_key` already exists for that user:
nothing is told twice. "immediate" ones are emailed at once (one email each, through the core
email layer, with its delivery record); "daily" ones wait for `send_digests`, one email per
user listing them. A service's contact on the register (not a user) is emailed at once and kept
as a Notification with no user and its `address`, so the same dedupe key guards it.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from caresight.core.audit import save_audited
from caresight.core.email import queue_email

from .models import Kind, Notification, NotificationPreference

logger = logging.getLogger(__name__)

Delivery = NotificationPreference.Delivery
EMAIL_KIND = "notification"
# An outbreak reported this many days after it began is still news; one entered later (a
# backfill, an old line list) is not sent to anyone.
NEW_OUTBREAK_DAYS = 7


def _site() -> str:
    return getattr(settings, "CARESIGHT_SITE_URL", "").rstrip("/")


def _text(subject: str, body: str, link: str) -> str:
    parts = [subject, "", body] if body else [subject]
    if link:
        parts += ["", f"Open it in {settings.CARESIGHT_SERVICE_NAME}: {_site()}{link}"]
    parts += ["", "You can choose what you are told, and how, under Your account, "
              "Notification settings."]
    return "\n".join(parts)


def deliveries_for(users: Sequence, kind: str) -> dict[int, str]:
    """user ID -> how they want this kind (immediate unless they chose otherwise)."""
    chosen = dict(NotificationPreference.objects.filter(
        user__in=[u.pk for u in users], kind=kind).values_list("user_id", "delivery"))
    return {u.pk: chosen.get(u.pk, Delivery.IMMEDIATE) for u in users}


def _cause_fields(cause) -> dict:
    if cause is None:
        return {}
    return {"cause_type": ContentType.objects.get_for_model(cause), "cause_id": str(cause.pk)}


def _keep(*, lookup: dict, fields: dict) -> Notification | None:
    """The new notification, or None if this one was already kept (its dedupe key)."""
    if Notification.objects.filter(**lookup).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(**lookup, **fields)
    except IntegrityError:  # kept meanwhile by another process: never twice
        return None


def _email(notification: Notification, to: str, authorities: Iterable) -> None:
    deliveries = queue_email(
        to=[to], subject=notification.subject,
        text=_text(notification.subject, notification.body, notification.link),
        kind=EMAIL_KIND, cause=notification, by=None, authorities=list(authorities))
    notification.emailed = deliveries[0]
    notification.save(update_fields=["emailed"])


def _email_safely(notification: Notification, to: str, authorities: Iterable) -> None:
    try:
        with transaction.atomic():
            _email(notification, to, authorities)
    except ValidationError:  # a malformed address (say, on the register): kept, not sent
        logger.warning("Notification %s: %r is not an email address", notification.dedupe_key, to)


@transaction.atomic
def notify(kind: str, users: Iterable, *, subject: str, body: str = "", link: str = "",
           dedupe_key: str, cause=None, key: str = "", authorities: Iterable = (),
           addresses: Iterable[str] = ()) -> list[Notification]:
    """Tell each user (and email each address) once; return the notifications made now."""
    if kind not in Kind.values:
        raise ValidationError({"kind": f"{kind!r} is not a kind of notification."})
    users = [u for u in {u.pk: u for u in users if u is not None and u.is_active}.values()]
    authorities = list(authorities)
    fields = {"kind": kind, "subject": " ".join(subject.split())[:255], "body": body,
              "link": link[:500], "key": key[:200], **_cause_fields(cause)}
    made: list[Notification] = []
    wanted = deliveries_for(users, kind)
    for user in users:
        delivery = wanted[user.pk]
        if delivery == Delivery.OFF:
            continue
        notification = _keep(lookup={"user": user, "dedupe_key": dedupe_key},
                             fields={**fields, "digest": delivery == Delivery.DAILY})
        if notification is None:
            continue
        if delivery == Delivery.IMMEDIATE and user.email:
            _email_safely(notification, user.email, authorities)
        made.append(notification)
    user_emails = {(u.email or "").lower() for u in users}
    # A contact who is also one of the users is told once, as the user.
    for address in sorted({a.strip().lower() for a in addresses if a and a.strip()}
                          - user_emails):
        notification = _keep(lookup={"user": None, "address": address, "dedupe_key": dedupe_key},
                             fields=fields)
        if notification is None:
            continue
        _email_safely(notification, address, authorities)
        made.append(notification)
    return made


def notify_safely(call: Callable[[], object], what: str) -> None:
    """Run a notification after the write committed; a failure is logged, never raised."""
    def run() -> None:
        try:
            call()
        except Exception:  # noqa: BLE001  # a notification never breaks the write it follows
            logger.exception("Notifying %s failed", what)
    transaction.on_commit(run)


def send_digests(now: dt.datetime | None = None) -> int:
    """Email each user the daily-digest notifications not yet emailed, in one email; return
    how many emails were queued. Safe to run again: those emailed are marked."""
    now = now or timezone.now()
    user_ids = sorted(set(Notification.objects.filter(
        digest=True, emailed__isnull=True, user__isnull=False, created_at__lte=now)
        .values_list("user_id", flat=True)))
    sent = 0
    for user_id in user_ids:
        with transaction.atomic():
            waiting = list(Notification.objects.select_for_update().select_related("user")
                           .filter(user_id=user_id, digest=True, emailed__isnull=True,
                                   created_at__lte=now).order_by("created_at", "pk"))
            user = waiting[0].user if waiting else None
            if user is None or not user.email or not user.is_active:
                continue
            lines = [f"{settings.CARESIGHT_SERVICE_NAME}: {len(waiting)} thing"
                     f"{'s' if len(waiting) != 1 else ''} to know today.", ""]
            for n in waiting:
                lines.append(f"- {n.subject}")
                if n.body:
                    lines.append(f"  {n.body}")
                if n.link:
                    lines.append(f"  {_site()}{n.link}")
            lines += ["", "You can choose what you are told, and how, under Your account, "
                      "Notification settings."]
            deliveries = queue_email(
                to=[user.email], subject=f"Your daily {settings.CARESIGHT_SERVICE_NAME} "
                f"notifications: {len(waiting)}", text="\n".join(lines), kind=EMAIL_KIND,
                cause=None, by=None)
            Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(
                emailed=deliveries[0])
            sent += 1
    return sent


def mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (these, or all) read; return how many."""
    queryset = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return queryset.update(read_at=timezone.now())


@transaction.atomic
def preferences_set(*, user, choices: dict[str, str]) -> int:
    """Set the user's choice per kind (immediate / daily / off); audited. Return changes."""
    bad = [kind for kind in choices if kind not in Kind.values]
    if bad:
        raise ValidationError({bad[0]: "That is not a kind of notification."})
    changed = 0
    for kind, delivery in choices.items():
        if delivery not in Delivery.values:
            raise ValidationError({kind: "Choose immediate, a daily digest or off."})
        preference = NotificationPreference.objects.filter(user=user, kind=kind).first()
        if preference is None:
            if delivery == Delivery.IMMEDIATE:
                continue  # the default
            preference = NotificationPreference(user=user, kind=kind)
        elif preference.delivery == delivery:
            continue
        preference.delivery = delivery
        save_audited(preference, user=user, reason="Notification settings changed")
        changed += 1
    return changed


# --- The events ------------------------------------------------------------------------------

def outbreak_reported(outbreak_id: int) -> list[Notification]:
    """Officers who see outbreaks in the service's authority: a new outbreak reported."""
    from caresight.core.tenancy import Capability
    from caresight.core.timeutils import long_date
    from caresight.outbreaks.models import Outbreak

    from .selectors import officers_with

    outbreak = Outbreak.objects.select_related("location__authority").get(pk=outbreak_id)
    if outbreak.reported_on < timezone.localdate() - dt.timedelta(days=NEW_OUTBREAK_DAYS):
        return []  # an old outbreak entered late (a backfill, an import): news to nobody
    location = outbreak.location
    return notify(
        Kind.OUTBREAK_REPORTED, officers_with(Capability.VIEW_OUTBREAKS, location.authority_id),
        subject=f"New outbreak reported at {location.name}",
        body=f"{location.name} ({location.authority.name}) reported an outbreak on "
             f"{long_date(outbreak.reported_on)}.",
        link=reverse("outbreaks:detail", args=[outbreak.pk]),
        dedupe_key=f"outbreak_reported:{outbreak.pk}", cause=outbreak,
        authorities=[location.authority])


def payment_run_prepared(run_id: int) -> list[Notification]:
    """Those who confirm payments in the round's authority: a run awaiting confirmation."""
    from caresight.core.tenancy import Capability
    from caresight.grants.models import PaymentRun

    from .selectors import officers_with

    run = PaymentRun.objects.select_related("round__authority", "instalment").get(pk=run_id)
    if run.confirmed_at is not None:
        return []
    round = run.round
    return notify(
        Kind.PAYMENT_RUN, officers_with(Capability.CONFIRM_PAYMENTS, round.authority_id),
        subject=f"A payment run for {round.name} is awaiting confirmation",
        body=f"Instalment {run.instalment.number} of {round.name} ({round.authority.name}) "
             "has been prepared and waits for someone to confirm it.",
        link=reverse("grants:run", args=[run.pk]),
        dedupe_key=f"payment_run:{run.pk}", cause=run, authorities=[round.authority])


def import_finished(job_id, status: str) -> list[Notification]:
    """The uploader: their import finished or failed."""
    from caresight.core.models import Job
    from caresight.core.services import DOCUMENTS

    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.created_by is None or job.kind in DOCUMENTS:  # a document being made: not an import
        return []
    done = status == Job.Status.DONE
    what = job.file_name or job.kind
    return notify(
        Kind.IMPORT_FINISHED, [job.created_by],
        subject=f"Your import of {what} {'finished' if done else 'failed'}",
        body=job.message or ("Everything was imported." if done else "Nothing was written."),
        link=reverse("job-detail", args=[job.pk]),
        dedupe_key=f"import:{job.pk}:{status}", cause=job)


# --- The daily job: reminders to providers, and ratings turned red ---------------------------

def notifications_run_daily(today: dt.date | None = None) -> dict[str, int]:
    """Everything the day brings: returns due tomorrow and overdue (to the provider's users
    and the service's contact on the register), agreements to sign, spend returns due,
    services whose rating turned red, and people placed in a bed past its scheme's intended
    stay (to whoever placed them). Safe to run again the same day (dedupe keys)."""
    today = today or timezone.localdate()
    counts = {}
    for name, step in (("return_due", _returns_due), ("agreement_to_sign", _agreements),
                       ("spend_return_due", _spend_returns), ("rating_red", _turned_red),
                       ("bed_overstay", _bed_overstays)):
        try:
            counts[name] = step(today)
        except Exception:  # one step failing leaves the others to run
            logger.exception("Daily notifications: %s failed", name)
            counts[name] = 0
    return counts


def _returns_due(today: dt.date) -> int:
    from caresight.core.tenancy import OPERATOR
    from caresight.core.timeutils import long_date
    from caresight.registry.models import Location
    from caresight.returns.selectors import current_returns, expected_locations

    tomorrow = today + dt.timedelta(days=1)
    locations = expected_locations(user=OPERATOR, as_of=today)
    missing_today = {c.location_id for c in current_returns(locations, today)
                     if c.return_id is None}
    missing_tomorrow = {c.location_id for c in current_returns(
        expected_locations(user=OPERATOR, as_of=tomorrow), tomorrow) if c.return_id is None}
    due_tomorrow = missing_tomorrow - missing_today
    made = 0
    for location in (Location.objects.select_related("provider", "authority")
                     .filter(pk__in=missing_today | due_tomorrow).order_by("pk")):
        from .selectors import provider_users

        overdue = location.pk in missing_today
        if overdue:
            subject = f"A return from {location.name} is overdue"
            body = (f"{location.name} has no return within its reporting window on "
                    f"{long_date(today)}. Please send it today.")
            key = f"return_overdue:{location.pk}:{today.isoformat()}"
        else:
            subject = f"A return from {location.name} is due tomorrow"
            body = (f"{location.name}'s next return is due by {long_date(tomorrow)}, "
                    "so that its figures stay current.")
            key = f"return_due:{location.pk}:{tomorrow.isoformat()}"
        contact = location.email or location.provider.email
        made += len(notify(
            Kind.RETURN_DUE, provider_users(location.provider_id, location.authority_id),
            subject=subject, body=body, link=reverse("returns:submit", args=[location.pk]),
            dedupe_key=key, cause=location, authorities=[location.authority],
            addresses=[contact] if contact else []))
    return made


def _agreements(today: dt.date) -> int:
    from caresight.grants.models import Agreement, Allocation

    from .selectors import provider_users

    end = _end_of(today)
    made = 0
    answered = set(Agreement.objects.values_list("round_id", "provider_id"))
    seen: set[tuple[int, int, int]] = set()
    for allocation in (Allocation.objects.select_related("round__authority", "provider")
                       .filter(round__confirmed_at__lt=end).order_by("pk")):
        pair = (allocation.round_id, allocation.provider_id)
        if pair in answered or (*pair, allocation.authority_id) in seen:
            continue
        seen.add((*pair, allocation.authority_id))
        round = allocation.round
        made += len(notify(
            Kind.AGREEMENT_TO_SIGN,
            provider_users(allocation.provider_id, allocation.authority_id),
            subject=f"An agreement to sign: {round.name}",
            body=f"{round.authority.name} has allocated {allocation.provider.name} a share of "
                 f"{round.name}. Read the allocation letter and sign the agreement.",
            link=reverse("grants:provider", args=[round.pk, allocation.provider_id]),
            dedupe_key=f"agreement_to_sign:{round.pk}:{allocation.provider_id}", cause=round,
            authorities=[round.authority]))
    return made


def _spend_returns(today: dt.date) -> int:
    from caresight.grants.models import Payment, Round, SpendReturn

    from .selectors import provider_users

    end = _end_of(today)
    returned = set(SpendReturn.objects.values_list("round_id", "provider_id"))
    paid = set(Payment.objects.filter(created_at__lt=end).order_by()
               .values_list("run__round_id", "provider_id", "authority_id").distinct())
    rounds = Round.objects.select_related("authority").in_bulk({r for r, _, _ in paid})
    made = 0
    for round_id, provider_id, authority_id in sorted(paid):
        if (round_id, provider_id) in returned:
            continue
        round = rounds[round_id]
        made += len(notify(
            Kind.SPEND_RETURN_DUE, provider_users(provider_id, authority_id),
            subject=f"A spend return is due: {round.name}",
            body=f"You have been paid from {round.name}. Tell {round.authority.name} what "
                 "the money was spent on.",
            link=reverse("grants:spend-submit", args=[round.pk, provider_id]),
            dedupe_key=f"spend_return_due:{round.pk}:{provider_id}", cause=round,
            authorities=[round.authority]))
    return made


def _turned_red(today: dt.date) -> int:
    """Red today and not red in the authority's previous kept log (one with ratings, before
    today). An authority with no earlier kept log has nothing to compare with: no notice."""
    from caresight.core.tenancy import OPERATOR, Capability
    from caresight.registry.models import Authority
    from caresight.risk.models import Rating, SavedLog, SavedRating
    from caresight.risk.selectors import risk_log

    from .selectors import officers_with

    reds = risk_log(user=OPERATOR, as_of=today, use_saved=False).rows(ratings=[Rating.RED])
    by_authority: dict[int, list[dict]] = {}
    for row in reds:
        by_authority.setdefault(row["authority_id"], []).append(row)
    authorities = Authority.objects.in_bulk(by_authority)
    made = 0
    for authority_id, rows in sorted(by_authority.items()):
        previous = (SavedLog.objects.filter(authority_id=authority_id, as_of__lt=today,
                                            ratings__isnull=False)
                    .order_by("-as_of", "kind").first())
        if previous is None:
            continue
        was_red = set(SavedRating.objects.filter(log=previous, rating=Rating.RED)
                      .values_list("location_id", flat=True))
        officers = officers_with(Capability.VIEW_OUTBREAKS, authority_id)
        for row in rows:
            if row["location_id"] in was_red:
                continue
            made += len(notify(
                Kind.RATING_RED, officers,
                subject=f"{row['name']} is now rated red",
                body=f"{row['name']} ({authorities[authority_id].name}) is rated red today; "
                     "it was not red in the previous risk log.",
                link=reverse("risk:location", args=[row["location_id"]]),
                dedupe_key=f"rating_red:{row['location_id']}:{today.isoformat()}",
                key=f"location:{row['location_id']}", authorities=[authorities[authority_id]]))
    return made


def _bed_overstays(today: dt.date) -> int:
    """Each placing officer: someone they placed has stayed past the scheme's intended stay."""
    from caresight.beds.notify import overstays_notify

    return overstays_notify(today)


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
