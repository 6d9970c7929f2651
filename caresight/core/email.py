"""The email layer: every message Caresight sends, with a delivery record per recipient.

    deliveries = queue_email(to=["a@example.org"], subject="…", text="…", html=None,
                             attachments=[("report.pdf", data, "application/pdf")],
                             kind="report", cause=report, by=user, authorities=[authority])

`queue_email` validates the addresses and keeps the message (and its attachments) in the
database, one `EmailDelivery` per recipient, then asks the background worker to send them once
the transaction commits. Sending goes through Django's email backend (SMTP in production).
A recipient the server refuses for good (a 5xx answer) fails at once with the server's reason;
a server that is down or answers "try later" (4xx) is tried again with a doubling wait, up to
CARESIGHT_EMAIL_MAX_ATTEMPTS, then the delivery fails with the last reason. `send_due()` (and
`caresight email retry`, for a scheduler) sends whatever is due, so nothing queued is lost even
if the worker was not running. A delivery is claimed by one conditional UPDATE (queued →
sending) before it is sent, and a sent one is never sent again.
"""

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from caresight.core.tenancy import actor

from .models import EmailAttachment, EmailDelivery, OutgoingEmail

logger = logging.getLogger(__name__)

Status = EmailDelivery.Status
Attachment = tuple[str, bytes, str]  # (file name, content, MIME type)


def clean_address(address: str, *, field: str = "email") -> str:
    """The address, trimmed; a ValidationError naming `field` if it is not an email address."""
    cleaned = (address or "").strip()
    try:
        validate_email(cleaned)
    except ValidationError:
        raise ValidationError({field: f"{address!r} is not a valid email address; enter one "
                               "like name@example.org."}) from None
    return cleaned


def clean_addresses(addresses: Iterable[str], *, field: str = "to") -> list[str]:
    """Every address checked (each malformed one named), duplicates dropped, order kept."""
    cleaned: list[str] = []
    bad: list[str] = []
    for address in addresses:
        try:
            one = clean_address(address, field=field)
        except ValidationError:
            bad.append(repr(address))
            continue
        if one.lower() not in {c.lower() for c in cleaned}:
            cleaned.append(one)
    if bad:
        raise ValidationError({field: f"Not a valid email address: {', '.join(bad)}. Enter "
                               "addresses like name@example.org."})
    return cleaned


@transaction.atomic
def queue_email(*, to: Sequence[str], subject: str, text: str, html: str | None = None,
                attachments: Sequence[Attachment] = (), kind: str, cause=None, by=None,
                authorities: Iterable = (), from_email: str | None = None
                ) -> list[EmailDelivery]:
    """Keep a message and a queued delivery for each recipient; send them after the commit.

    `cause` is the record that caused it (any model instance), `by` the person (None or the
    operator: the system), `authorities` those whose administrators may see the deliveries.
    """
    recipients = clean_addresses(to)
    if not recipients:
        raise ValidationError({"to": "Give at least one email address to send to."})
    if not subject.strip():
        raise ValidationError({"subject": "Enter a subject."})
    email = OutgoingEmail(
        kind=kind[:40], subject=" ".join(subject.split())[:255], text=text, html=html or "",
        from_email=from_email or settings.DEFAULT_FROM_EMAIL, caused_by=actor(by),
    )
    if cause is not None:
        email.cause_type = ContentType.objects.get_for_model(cause)
        email.cause_id = str(cause.pk)
    email.save()
    email.authorities.set(list(authorities))
    EmailAttachment.objects.bulk_create([
        EmailAttachment(email=email, name=name, content=content, mimetype=mimetype)
        for name, content, mimetype in attachments])
    now = timezone.now()
    deliveries = EmailDelivery.objects.bulk_create([
        EmailDelivery(email=email, recipient=recipient, queued_at=now, next_attempt_at=now)
        for recipient in recipients])
    ids = [d.pk for d in deliveries]
    if any(pk is None for pk in ids):  # a backend that does not return IDs from bulk_create
        ids = list(email.deliveries.values_list("pk", flat=True))
    transaction.on_commit(lambda: _enqueue(ids))
    return list(email.deliveries.order_by("pk"))


def _enqueue(ids: list[int], *, at: dt.datetime | None = None) -> None:
    from .tasks import send_email_deliveries

    task = send_email_deliveries
    if at is not None:
        if not task.get_backend().supports_defer:
            return  # `caresight email retry` (or the next send_due) picks it up
        task = task.using(run_after=at)
    try:
        task.enqueue(ids)
    except Exception:  # the deliveries are safe in the database; send_due will find them
        logger.exception("Could not queue the sending of email deliveries %s", ids)


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0  # already sent, being sent by another worker, or not yet due

    def __str__(self) -> str:
        return (f"{self.sent} sent, {self.retrying} to be tried again, {self.failed} failed"
                + (f", {self.skipped} left alone" if self.skipped else ""))


def send_deliveries(ids: Iterable[int], *, now: dt.datetime | None = None) -> SendResult:
    """Send these deliveries (those still queued and due), over one connection."""
    result = SendResult()
    now = now or timezone.now()
    connection = None
    retry_at: dt.datetime | None = None
    retrying: list[int] = []
    try:
        for pk in ids:
            if not _claim(pk, now):
                result.skipped += 1
                continue
            delivery = EmailDelivery.objects.select_related("email").get(pk=pk)
            if connection is None:
                connection = get_connection(fail_silently=False)
            outcome, when = _send_one(delivery, connection, now)
            setattr(result, outcome, getattr(result, outcome) + 1)
            if when is not None:
                retrying.append(pk)
                retry_at = max(retry_at or when, when)
    finally:
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001  # closing a broken connection may fail too
                logger.debug("Closing the email connection failed", exc_info=True)
    if retry_at is not None:
        _enqueue(retrying, at=retry_at)
    return result


def _claim(pk: int, now: dt.datetime) -> bool:
    """Move one delivery from queued to sending, if it is still queued and due: one UPDATE, so
    of two workers only one sends it."""
    return bool(EmailDelivery.objects.filter(
        pk=pk, status=Status.QUEUED, next_attempt_at__lte=now,
    ).update(status=Status.SENDING, claimed_at=timezone.now()))


def _message(delivery: EmailDelivery, connection) -> EmailMultiAlternatives:
    email = delivery.email
    message = EmailMultiAlternatives(subject=email.subject, body=email.text,
                                     from_email=email.from_email, to=[delivery.recipient],
                                     connection=connection)
    if email.html:
        message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments.all():
        message.attach(attachment.name, bytes(attachment.content), attachment.mimetype)
    return message


def _send_one(delivery: EmailDelivery, connection, now: dt.datetime
              ) -> tuple[str, dt.datetime | None]:
    """Send one claimed delivery; record what happened. Return the outcome (a SendResult
    field) and, when it is to be tried again, when."""
    try:
        _message(delivery, connection).send()
    except Exception as exc:  # noqa: BLE001  # every failure is recorded, none is lost
        permanent, reason = _reason(exc)
        # The connection may be broken; the next delivery opens a new one.
        try:
            connection.close()
        except Exception:  # noqa: BLE001
            logger.debug("Closing the email connection failed", exc_info=True)
        return _record_failure(delivery, reason=reason, permanent=permanent, now=now)
    EmailDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="")
    return "sent", None


def _reason(exc: Exception) -> tuple[bool, str]:
    """Whether a failure is permanent (the server refused this recipient or message for good)
    and the reason in words, with the server's own answer."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(exc.recipients.values()), (0, b""))
        return code >= 500, f"The mail server refused the address: {code} {_text(answer)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        verb = ("refused the sender" if isinstance(exc, smtplib.SMTPSenderRefused)
                else "refused the message")
        return exc.smtp_code >= 500, (
            f"The mail server {verb}: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, (ConnectionError, smtplib.SMTPServerDisconnected, TimeoutError, OSError)):
        return False, f"Could not reach the mail server: {exc}"
    return False, f"Sending failed: {type(exc).__name__}: {exc}"


def _text(answer) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def _record_failure(delivery: EmailDelivery, *, reason: str, permanent: bool,
                    now: dt.datetime) -> tuple[str, dt.datetime | None]:
    """Fail the delivery for good, or queue it again after a doubling wait from `now`."""
    attempts = delivery.attempts + 1
    if permanent or attempts >= settings.CARESIGHT_EMAIL_MAX_ATTEMPTS:
        EmailDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
            status=Status.FAILED, attempts=attempts, last_error=reason[:2000])
        logger.warning("Email to %s failed: %s", delivery.recipient, reason)
        return "failed", None
    wait = settings.CARESIGHT_EMAIL_RETRY_SECONDS * 2 ** (attempts - 1)
    when = now + dt.timedelta(seconds=wait)
    EmailDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
        status=Status.QUEUED, attempts=attempts, last_error=reason[:2000], next_attempt_at=when)
    return "retrying", when


# A claim older than this is a worker that stopped while sending: the delivery is queued
# again. (It may then be sent twice only if the worker died after the mail server took the
# message and before the database recorded it.)
STALE_CLAIM = dt.timedelta(minutes=15)


def due_ids(*, now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    now = now or timezone.now()
    queryset = EmailDelivery.objects.filter(
        status=Status.QUEUED, next_attempt_at__lte=now).order_by("next_attempt_at", "pk")
    ids = queryset.values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)


def send_due(*, now: dt.datetime | None = None, limit: int | None = None) -> SendResult:
    """Send every delivery that is due (queued, its wait over), oldest first; queue again any
    left "being sent" by a worker that stopped. For a scheduler: `caresight email retry`."""
    now = now or timezone.now()
    EmailDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=Status.QUEUED, next_attempt_at=now,
        last_error="The worker stopped while sending it; trying again.")
    return send_deliveries(due_ids(now=now, limit=limit), now=now)
