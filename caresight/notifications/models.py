"""Notifications: what each person is told (listed in the service, emailed at once or in a
daily digest), and each person's choice per kind."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Kind(models.TextChoices):
    OUTBREAK_REPORTED = "outbreak_reported", "A new outbreak reported"
    RATING_RED = "rating_red", "A service's risk rating turned red"
    PAYMENT_RUN = "payment_run", "A payment run awaiting confirmation"
    IMPORT_FINISHED = "import_finished", "An import finished or failed"
    RETURN_DUE = "return_due", "A return due or overdue"
    AGREEMENT_TO_SIGN = "agreement_to_sign", "An agreement to sign"
    SPEND_RETURN_DUE = "spend_return_due", "A spend return due"
    BEDS_OUTBREAK = "beds_outbreak", "An outbreak where your council has commissioned beds"
    BED_OVERSTAY = "bed_overstay", "Someone you placed has stayed past the intended stay"


OFFICER_KINDS = (Kind.OUTBREAK_REPORTED, Kind.RATING_RED, Kind.PAYMENT_RUN,
                 Kind.IMPORT_FINISHED)
PROVIDER_KINDS = (Kind.RETURN_DUE, Kind.AGREEMENT_TO_SIGN, Kind.SPEND_RETURN_DUE)


class Notification(models.Model):
    """One thing one person (or, for a service's contact on the register, one address) is
    told. `dedupe_key` is unique per person (per address for a contact): never told twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="notifications")
    # A service's contact email on the register (not a user): email only, user empty.
    address = models.EmailField(blank=True)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    subject = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    cause_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    cause_id = models.CharField(max_length=64, blank=True)
    key = models.CharField(max_length=200, blank=True)  # a cause that is not a record
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    digest = models.BooleanField(default=False)  # waits for the daily digest
    emailed = models.ForeignKey("core.EmailDelivery", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], condition=Q(user__isnull=False),
                                    name="notification_once_per_user"),
            models.UniqueConstraint(fields=["address", "dedupe_key"],
                                    condition=Q(user__isnull=True),
                                    name="notification_once_per_address"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_list")]

    def __str__(self) -> str:
        return self.subject


class NotificationPreference(models.Model):
    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "Email each one at once"
        DAILY = "daily", "A daily digest email"
        OFF = "off", "Off: do not tell me"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices,
                                default=Delivery.IMMEDIATE)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"],
                                               name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.delivery}"
