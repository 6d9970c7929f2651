"""Generated reports: each authority's settings for them, the narrative entries officers add
during a reporting period, and published reports, frozen with the figures they were built from.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from caresight.registry.models import Authority

LOGO_MAX_BYTES = 512 * 1024
LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}


def _created_by():
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")


class ReportSettings(models.Model):
    """How one authority's report of one kind looks: its title, author line, service areas,
    logo and sections (in `kinds.py`'s shape). Without one, the kind's defaults apply."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    author_line = models.CharField(max_length=200, blank=True,
                                   help_text="Who the report is from, as printed on it.")
    service_areas = models.CharField(max_length=200, blank=True)
    sections = models.JSONField(default=list)
    logo = models.BinaryField(blank=True, default=b"")
    logo_type = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = _created_by()

    history = HistoricalRecords(excluded_fields=["logo"])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "kind"],
                                               name="one_report_settings_per_kind")]

    def __str__(self) -> str:
        return f"{self.title} ({self.authority})"


class NarrativeEntry(models.Model):
    """A piece of a report's narrative ("New guidance and impact", "Recovery activities"…),
    written during the period it reports on: a report shows the entries dated within its
    period, under their section and service area, in date order."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    section = models.CharField(max_length=40)
    service_area = models.CharField(max_length=100, blank=True,
                                    help_text="A heading within the section (“Adults”).")
    on = models.DateField(help_text="The day it is for: it is in the reports whose period "
                                    "takes in this day.")
    text = models.TextField()
    author = _created_by()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["on", "pk"]
        indexes = [models.Index(fields=["authority", "on"])]
        verbose_name_plural = "narrative entries"

    def __str__(self) -> str:
        return f"{self.section} {self.on}"


class PublishedReport(models.Model):
    """A report as it was published: its figures (the JSON every file was drawn from) with
    their SHA-256, and the files themselves. Never rebuilt: a newer build is compared with it.
    One report per kind, area and period."""

    kind = models.CharField(max_length=30)
    authorities = models.ManyToManyField(Authority, related_name="+")
    area_key = models.CharField(max_length=200)  # the authorities' codes, sorted, "+"-joined
    area_name = models.CharField(max_length=300)
    title = models.CharField(max_length=300)
    period_from = models.DateField()
    as_of = models.DateField()
    figures = models.JSONField()
    figures_sha256 = models.CharField(max_length=64)
    html = models.TextField()
    pdf = models.BinaryField()
    docx = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)
    docx_sha256 = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = _created_by()

    history = HistoricalRecords(excluded_fields=["html", "pdf", "docx", "figures"])

    class Meta:
        ordering = ["-as_of", "-pk"]
        constraints = [models.UniqueConstraint(
            fields=["kind", "area_key", "period_from", "as_of"], name="publish_once")]

    def __str__(self) -> str:
        return f"{self.title}, {self.area_name}, {self.as_of}"

    def file(self, fmt: str) -> bytes:
        """The kept file: "pdf", "docx" or "html"."""
        return self.html.encode() if fmt == "html" else bytes(getattr(self, fmt))


class ReportSchedule(models.Model):
    """An authority's report built and emailed by itself: which report (for the authority, or a
    joint area with it first, whose settings apply), how often (a weekday, or a day of the
    month), at what local time (Europe/London), and to whom (the distribution list)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"),
                (4, "Friday"), (5, "Saturday"), (6, "Sunday")]

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    joint_with = models.ManyToManyField(
        Authority, blank=True, related_name="+",
        help_text="Further authorities of a joint area (the schedule's authority is first).")
    kind = models.CharField(max_length=30)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, choices=WEEKDAYS)
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    time_of_day = models.TimeField(help_text="Local time (Europe/London).")
    recipients = models.JSONField(default=list)  # the distribution list, checked addresses
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)  # no run is due before this
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = _created_by()

    history = HistoricalRecords(m2m_fields=[joint_with])

    class Meta:
        ordering = ["authority__name", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.frequency} ({self.authority})"


class ScheduledRun(models.Model):
    """One run of a schedule: the report for the period that had just ended, published (or the
    publication found already made) and emailed. One per schedule and report date, in the
    database too, so no run is made twice, even by two schedulers."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be built"
        BUILT = "built", "Published, not yet emailed"
        SENT = "sent", "Emailed"
        FAILED = "failed", "Failed"

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.PROTECT, related_name="runs")
    due_at = models.DateTimeField()
    period_from = models.DateField()
    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    report = models.ForeignKey(PublishedReport, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="scheduled_runs")
    reused = models.BooleanField(default=False,
                                 help_text="The report had already been published.")
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-due_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["schedule", "as_of"],
                                               name="one_run_per_schedule_and_date")]

    def __str__(self) -> str:
        return f"{self.schedule} {self.as_of}: {self.status}"
