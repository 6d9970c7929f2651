"""Outbreaks in care services: reports, dated updates, the status pathway, IMTs and reviews."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from caresight.core.timeutils import long_date
from caresight.registry.models import Authority, Location


class Status(models.TextChoices):
    LIVE = "live", "Live"
    DE_ESCALATION = "de_escalation", "De-escalation pathway"
    CLOSED = "closed", "Closed"


class Kind(models.TextChoices):
    SUSPECTED = "suspected", "Suspected"
    CONFIRMED = "confirmed", "Confirmed"


# Days after the last new case when an outbreak de-escalates and closes, unless its authority
# set its own (Thresholds).
DE_ESCALATION_DAYS = 14
CLOSURE_DAYS = 28


class Thresholds(models.Model):
    """An authority's days without a new case before an outbreak de-escalates and closes."""

    authority = models.OneToOneField(Authority, on_delete=models.CASCADE,
                                     related_name="outbreak_thresholds")
    de_escalation_days = models.PositiveSmallIntegerField(
        default=DE_ESCALATION_DAYS,
        help_text="Days after the last new case when the outbreak de-escalates.")
    closure_days = models.PositiveSmallIntegerField(
        default=CLOSURE_DAYS, help_text="Days after the last new case when the outbreak closes.")

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "thresholds"
        constraints = [
            models.CheckConstraint(condition=Q(de_escalation_days__gte=1),
                                   name="de_escalation_after_a_day"),
            models.CheckConstraint(condition=Q(closure_days__gt=F("de_escalation_days")),
                                   name="closure_after_de_escalation"),
        ]

    def __str__(self) -> str:
        return f"{self.authority}: {self.de_escalation_days} and {self.closure_days} days"


class Outbreak(models.Model):
    """One outbreak at one service, from its first report to closure.

    `last_case_on` and `closed_on` follow from the updates and status changes (see
    `pathway.py`); `closed_on` may lie ahead, when the outbreak will close if no new case
    comes. The thresholds are the authority's when the outbreak was reported, so that
    changing them later does not rewrite the past.
    """

    class ReportedBy(models.TextChoices):
        PROVIDER = "provider", "The provider"
        PUBLIC_HEALTH = "public_health", "Public health"
        CQC = "cqc", "CQC"
        OTHER = "other", "Other"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="outbreaks")
    reported_on = models.DateField()
    reported_by = models.CharField(max_length=20, choices=ReportedBy.choices)
    reporter_name = models.CharField("name of the person who reported it", max_length=150,
                                     blank=True)
    kind = models.CharField("suspected or confirmed", max_length=10, choices=Kind.choices)
    first_symptoms_on = models.DateField("date of first symptoms", null=True, blank=True)
    admissions_closed = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    de_escalation_days = models.PositiveSmallIntegerField(default=DE_ESCALATION_DAYS)
    closure_days = models.PositiveSmallIntegerField(default=CLOSURE_DAYS)
    last_case_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    # closed_on may lie ahead: the history never shows it as a closure that happened.
    HISTORY_LABELS = {"closed_on": "Closes, or closed, on (expected until the day has passed)"}

    class Meta:
        ordering = ["-reported_on", "pk"]
        indexes = [
            models.Index(fields=["location", "-reported_on"]),
            models.Index(fields=["reported_on"]),
            models.Index(fields=["closed_on"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(closed_on__isnull=True)
                                   | Q(closed_on__gte=F("reported_on")),
                                   name="closed_after_reported"),
            models.CheckConstraint(condition=Q(first_symptoms_on__isnull=True)
                                   | Q(first_symptoms_on__lte=F("reported_on")),
                                   name="symptoms_before_report"),
        ]

    def __str__(self) -> str:
        return f"Outbreak at {self.location} reported {self.reported_on:%-d %B %Y}"

    def closure_text(self, today) -> str:
        """The closure as people read it: done, expected (while it lies ahead), or held off."""
        if self.closed_on is None:
            return "Kept live by an officer"
        if self.closed_on <= today:
            return f"Closed on {long_date(self.closed_on)}"
        return f"Expected to close on {long_date(self.closed_on)}, if no new case"

    def is_open_on(self, day) -> bool:
        return self.reported_on <= day and (self.closed_on is None or self.closed_on > day)


class Update(models.Model):
    """What was known about an outbreak on one day: new cases and deaths since the last update."""

    class Source(models.TextChoices):
        FORM = "form", "Entered in Caresight"
        IMPORT = "import", "Public health line list"
        API = "api", "API"

    outbreak = models.ForeignKey(Outbreak, on_delete=models.CASCADE, related_name="updates")
    on = models.DateField("date")
    kind = models.CharField("suspected or confirmed", max_length=10, choices=Kind.choices)
    new_cases_residents = models.PositiveIntegerField("new cases among residents", default=0)
    new_cases_staff = models.PositiveIntegerField("new cases among staff", default=0)
    deaths = models.PositiveIntegerField(default=0)
    admissions_closed = models.BooleanField(null=True, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FORM)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["outbreak", "on"]
        constraints = [
            models.UniqueConstraint(fields=["outbreak", "on"], name="one_update_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.outbreak.location} on {self.on:%-d %B %Y}"

    @property
    def new_cases(self) -> int:
        return self.new_cases_residents + self.new_cases_staff


class StatusChange(models.Model):
    """The outbreak's status from `on` onwards: automatic (by the thresholds) or an override."""

    outbreak = models.ForeignKey(Outbreak, on_delete=models.CASCADE,
                                 related_name="status_changes")
    on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices)
    automatic = models.BooleanField(default=True)
    reason = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["outbreak", "on", "pk"]
        indexes = [models.Index(fields=["outbreak", "on"])]
        constraints = [
            models.CheckConstraint(condition=Q(automatic=True) | ~Q(reason=""),
                                   name="override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} from {self.on:%-d %B %Y}"


class ImtMeeting(models.Model):
    """An incident management team meeting about a service of concern."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="imt_meetings")
    outbreak = models.ForeignKey(Outbreak, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="imt_meetings")
    held_on = models.DateField()
    attendees = models.TextField(help_text="Names and organisations, one per line.")
    summary = models.TextField("discussion and decisions", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = "IMT meeting"

    def __str__(self) -> str:
        return f"IMT for {self.location} on {self.held_on:%-d %B %Y}"


class ImtAction(models.Model):
    meeting = models.ForeignKey(ImtMeeting, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=500)
    owner = models.CharField(max_length=150)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = "IMT action"

    def __str__(self) -> str:
        return self.description


class LearningReview(models.Model):
    """What was learnt from an outbreak, once it has closed."""

    outbreak = models.OneToOneField(Outbreak, on_delete=models.CASCADE,
                                    related_name="learning_review")
    reviewed_on = models.DateField()
    what_happened = models.TextField()
    lessons = models.TextField("lessons learnt")
    shared_with = models.TextField(help_text="Who the lessons were shared with.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Learning review of {self.outbreak}"
