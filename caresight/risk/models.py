"""The provider risk log: each authority's rules, quality concerns, overrides and saved logs."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from caresight.registry.models import Authority, Location


class Rating(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


RATING_ORDER = {Rating.RED: 0, Rating.AMBER: 1, Rating.GREEN: 2}


class Policy(models.Model):
    """An authority's choice of rules, their ratings and thresholds (see `rules.py`)."""

    authority = models.OneToOneField(Authority, on_delete=models.CASCADE,
                                     related_name="risk_policy")
    # rule code -> {"enabled": bool, "rating": "red"|"amber", "threshold": "20"}
    rules = models.JSONField(default=dict, blank=True)
    ambers_make_red = models.PositiveSmallIntegerField(
        default=3, help_text="This many amber reasons together make a service red (0: never).")

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return f"Risk rules for {self.authority}"


class Concern(models.Model):
    """A quality concern about a service, open until it is closed."""

    class Source(models.TextChoices):
        QUALITY_ASSURANCE = "quality_assurance", "Quality assurance visit or call"
        SAFEGUARDING = "safeguarding", "Safeguarding"
        COMPLAINT = "complaint", "Complaint"
        CQC = "cqc", "CQC"
        WHISTLEBLOWING = "whistleblowing", "Whistleblowing"
        OTHER = "other", "Other"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="concerns")
    raised_on = models.DateField()
    source = models.CharField(max_length=20, choices=Source.choices)
    summary = models.CharField(max_length=500)
    closed_on = models.DateField(null=True, blank=True)
    closing_note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_on", "-pk"]
        indexes = [models.Index(fields=["location", "raised_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(closed_on__isnull=True)
                                   | Q(closed_on__gte=F("raised_on")),
                                   name="concern_closed_after_raised"),
        ]

    def __str__(self) -> str:
        return self.summary


class Override(models.Model):
    """An officer's rating for a service, in place of the rules', from one day to another."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT,
                                 related_name="risk_overrides")
    rating = models.CharField(max_length=5, choices=Rating.choices)
    reason = models.CharField(max_length=500)
    starts_on = models.DateField()
    expires_on = models.DateField(help_text="The last day the override applies.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["location", "starts_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(expires_on__gte=F("starts_on")),
                                   name="override_expires_after_start"),
            models.CheckConstraint(condition=~Q(reason=""), name="risk_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rating_display()} for {self.location} until {self.expires_on}"


class SavedLog(models.Model):
    """An authority's risk log for a day, kept in the database with a rating per service.

    Either *saved* by an officer, as distributed, and shown again as it was; or *worked out*
    by Caresight and kept while the data it was worked out from stay as they were (its
    `inputs_version` is still the authority's `InputsVersion`), so that a log is counted,
    sorted and read a page at a time by the database. Worked-out logs are derived data, not
    records: they are written without history and replaced whenever their data change.
    """

    class Kind(models.TextChoices):
        SAVED = "saved", "Saved as distributed"
        WORKED_OUT = "worked_out", "Worked out and kept until its data change"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SAVED)
    # For a worked-out log: the authority's InputsVersion it was worked out at (None: its
    # ratings were dropped as out of date, to be worked out again when asked for).
    inputs_version = models.PositiveBigIntegerField(null=True, blank=True)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "as_of", "kind"],
                                    name="one_log_of_a_kind_per_day"),
        ]

    def __str__(self) -> str:
        return f"Risk log for {self.authority} on {self.as_of}"


class InputsVersion(models.Model):
    """A count of the changes to the data an authority's ratings are worked out from.

    Every audited write of a service, its provider, returns, outbreaks, concerns, overrides
    or the authority's rules adds one, in the write's own transaction
    (`services.rating_inputs_changed`); a worked-out log made at an older count is out of date.
    """

    authority = models.OneToOneField(Authority, on_delete=models.CASCADE, primary_key=True,
                                     related_name="+")
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Risk inputs of {self.authority}: version {self.version}"


class SavedRating(models.Model):
    log = models.ForeignKey(SavedLog, on_delete=models.CASCADE, related_name="ratings")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(max_length=5, choices=Rating.choices)
    computed_rating = models.CharField(max_length=5, choices=Rating.choices)
    score = models.PositiveSmallIntegerField(default=0)
    fired = models.JSONField(default=list)  # [{"code", "label", "rating", "why"}]
    override_reason = models.CharField(max_length=500, blank=True)
    override_expires_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["log", "location"], name="one_rating_per_log"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rating_display()} in {self.log}"
