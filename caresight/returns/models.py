"""The questions providers answer (measure sets, versioned, as data)."""

import operator
from functools import reduce

from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from simple_history.models import HistoricalRecords

from caresight.core.timeutils import long_date
from caresight.registry.models import ServiceType


class ServiceGroup(models.TextChoices):
    """Which services answer which measure set."""

    CARE_HOME = "care_home", "Care homes"
    COMMUNITY = "community", "Home care, extra care and supported living"


SERVICE_GROUP_OF_TYPE: dict[str, str] = {
    ServiceType.CARE_HOME: ServiceGroup.CARE_HOME,
    ServiceType.CARE_HOME_NURSING: ServiceGroup.CARE_HOME,
    ServiceType.DOMICILIARY: ServiceGroup.COMMUNITY,
    ServiceType.EXTRA_CARE: ServiceGroup.COMMUNITY,
    ServiceType.SUPPORTED_LIVING: ServiceGroup.COMMUNITY,
}


# The PPE items a return counts days of: measure code -> what the item is called.
PPE_ITEMS = {"ppe_days_masks": "masks", "ppe_days_aprons": "aprons",
             "ppe_days_gloves": "gloves", "ppe_days_eye_protection": "eye protection",
             "ppe_days_sanitiser": "hand sanitiser"}
PPE_LOW_DAYS = 7  # fewer days of any item than this is low stock (the risk rule's default)
# A return stays current this many days unless its measure set says otherwise.
RETURN_WINDOW_DAYS = 7


# Answers that are read for every service in the country at once (the national risk log), kept
# beside the JSON as numbers in columns of their own (see Return): measure codes, and totals
# of several measures (an unanswered one counting as 0). Every measure set must ask them as
# numbers, if at all (measure_sets.check).
STORED_NUMBERS = ["staff_multiple_settings", *PPE_ITEMS]
STORED_TOTALS = {
    "staff_employed": ["nurses_employed", "care_workers_employed", "non_care_staff_employed"],
    "staff_absent": ["nurses_absent_covid", "nurses_absent_other", "care_workers_absent_covid",
                     "care_workers_absent_other", "non_care_staff_absent_covid",
                     "non_care_staff_absent_other", "care_workers_absent"],
}


def answer_number(code: str) -> Cast:
    """A numeric answer read out of a return's JSON, as a float (NULL where unanswered)."""
    return Cast(KT(f"values__{code}"), models.FloatField())


def answers_total(codes: list[str]):
    """Numeric answers added up, an unanswered one counting as 0."""
    return reduce(operator.add, [Coalesce(answer_number(code), 0.0) for code in codes])


def _stored(expression) -> models.GeneratedField:
    return models.GeneratedField(expression=expression, output_field=models.FloatField(),
                                 db_persist=True, null=True)


class MeasureSet(models.Model):
    """One version of the questions for a group of services.

    A changed question is a new version; returns keep the version they were answered against.
    """

    service_group = models.CharField(max_length=20, choices=ServiceGroup.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    in_use_from = models.DateField()
    expected_every_days = models.PositiveIntegerField(
        default=RETURN_WINDOW_DAYS,
        help_text="A service that has not returned for this many days is chased."
    )
    rules = models.JSONField(
        default=list, blank=True,
        help_text='What cannot be true: [{"code": "beds_occupied", "at_most": "beds_registered"}]',
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["service_group", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["service_group", "version"],
                                    name="one_measure_set_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"


class Measure(models.Model):
    """One question: what it asks, what kind of answer, and the bounds of a true answer."""

    class Kind(models.TextChoices):
        YES_NO = "yes_no", "Yes or no"
        WHOLE_NUMBER = "whole_number", "Whole number"
        DECIMAL = "decimal", "Decimal"
        CHOICE = "choice", "Choice"
        DATE = "date", "Date"

    measure_set = models.ForeignKey(MeasureSet, on_delete=models.CASCADE,
                                    related_name="measures")
    code = models.SlugField(max_length=60)
    section = models.CharField(max_length=100)
    label = models.CharField(max_length=255)
    hint = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    minimum = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    maximum = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    choices = models.JSONField(default=list, blank=True,
                               help_text="For choice measures: [[value, label], …].")
    required = models.BooleanField(default=True)
    position = models.PositiveIntegerField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["measure_set", "position"]
        constraints = [
            models.UniqueConstraint(fields=["measure_set", "code"], name="one_measure_per_code"),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True) | Q(maximum__isnull=True)
                | Q(maximum__gte=F("minimum")),
                name="measure_bounds_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Return(models.Model):
    """A service's answers for one day. Submitting again that day makes a new version;
    earlier versions stay in the history."""

    class Source(models.TextChoices):
        PROVIDER = "provider", "Provider"
        OFFICER = "officer", "Council officer on the provider's behalf"
        IMPORT = "import", "Capacity Tracker import"

    location = models.ForeignKey("registry.Location", on_delete=models.PROTECT,
                                 related_name="returns")
    measure_set = models.ForeignKey(MeasureSet, on_delete=models.PROTECT, related_name="returns")
    for_date = models.DateField(help_text="The day the answers are true for.")
    version = models.PositiveIntegerField(default=1)
    values = models.JSONField(default=dict)
    source = models.CharField(max_length=20, choices=Source.choices)
    submitted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    # STORED_NUMBERS and STORED_TOTALS, written by the database from `values` whenever a
    # return is written (a form, an import, COPY), so they cannot disagree with the answers.
    staff_multiple_settings = _stored(answer_number("staff_multiple_settings"))
    ppe_days_masks = _stored(answer_number("ppe_days_masks"))
    ppe_days_aprons = _stored(answer_number("ppe_days_aprons"))
    ppe_days_gloves = _stored(answer_number("ppe_days_gloves"))
    ppe_days_eye_protection = _stored(answer_number("ppe_days_eye_protection"))
    ppe_days_sanitiser = _stored(answer_number("ppe_days_sanitiser"))
    staff_employed = _stored(answers_total(STORED_TOTALS["staff_employed"]))
    staff_absent = _stored(answers_total(STORED_TOTALS["staff_absent"]))

    # The history keeps the answers; the numbers follow from them.
    history = HistoricalRecords(excluded_fields=[*STORED_NUMBERS, *STORED_TOTALS])

    class Meta:
        ordering = ["-for_date"]
        constraints = [
            models.UniqueConstraint(fields=["location", "for_date"], name="one_return_a_day"),
        ]
        # The current return of each service is found by one probe of this index per service;
        # with the ID and the stored numbers in the index (PostgreSQL), the probe never reads
        # the table.
        indexes = [models.Index(fields=["location", "-for_date"],
                                include=["id", *STORED_NUMBERS, *STORED_TOTALS],
                                name="return_current_numbers")]

    def __str__(self) -> str:
        return f"{self.location} on {long_date(self.for_date)}"
