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


# The answers the summaries, the dashboard and the risk log read for every service at once,
# copied into the kept current state (CurrentReturn) as columns of their own: numbers (as
# floats), yes/no answers (as booleans) and choices (as text). A figure needing an answer not
# kept here is computed from the returns instead.
IPC_CODES = ["ipc_isolate_residents", "ipc_restrict_staff_movement",
             "ipc_full_pay_isolating_staff", "ipc_testing_portal", "ipc_test_kits",
             "ipc_test_hospital_discharges", "ipc_sufficient_ppe", "ipc_medical_equipment",
             "ipc_ppe_training", "ipc_equipment_training", "ipc_additional_capacity",
             "ipc_named_clinical_lead", "ipc_mutual_aid"]
KEPT_NUMBERS = [
    "beds_registered", "beds_occupied", "beds_vacant", "beds_vacant_accepting",
    "residents_covid_confirmed", "residents_covid_suspected",
    "nurses_employed", "nurses_absent_covid", "nurses_absent_other",
    "care_workers_employed", "care_workers_absent_covid", "care_workers_absent_other",
    "care_workers_absent", "non_care_staff_employed", "non_care_staff_absent_covid",
    "non_care_staff_absent_other", "staff_flu_vaccinated", "staff_covid_vaccinated",
    "residents_flu_vaccinated", "residents_covid_vaccinated", "people_supported",
    "people_flu_vaccinated", "people_covid_vaccinated", "people_covid_confirmed",
    "staff_multiple_settings", *PPE_ITEMS,
]
KEPT_FLAGS = [*IPC_CODES, "admissions_open"]
KEPT_TEXTS = ["visiting_status"]


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

    # No index of their own: one_return_a_day leads with the location, and returns are never
    # looked for by measure set (nor is a measure set deleted). Every index is written with
    # each of a year's millions of returns.
    location = models.ForeignKey("registry.Location", on_delete=models.PROTECT,
                                 related_name="returns", db_index=False)
    measure_set = models.ForeignKey(MeasureSet, on_delete=models.PROTECT, related_name="returns",
                                    db_index=False)
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

    # The history keeps the answers; the numbers follow from them. It is read by return (its
    # id), never by these.
    history = HistoricalRecords(excluded_fields=[*STORED_NUMBERS, *STORED_TOTALS],
                                no_db_index=["location", "measure_set", "submitted_by"])

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


class CurrentReturn(models.Model):
    """Each service's latest return, kept up to date in the same transaction as every write
    of a return (current.keep), with the answers read for every service at once (KEPT_*) in
    columns of their own. Since no return is for a day after today, a service's current
    return today is its latest one, if that is within its window: today's figures read this
    25,000-row table instead of a year of returns. Past days read the returns.

    Rebuilt, and checked against the returns, by `caresight current_returns`.
    """

    location = models.OneToOneField("registry.Location", primary_key=True,
                                    on_delete=models.CASCADE, related_name="kept_return")
    # No database constraint: returns are partitioned by month on PostgreSQL (a partitioned
    # table's rows cannot be referred to by ID alone), and old months are dropped whole.
    ret = models.ForeignKey(Return, db_constraint=False, on_delete=models.DO_NOTHING,
                            related_name="+")
    for_date = models.DateField()
    staff_employed = models.FloatField(null=True)
    staff_absent = models.FloatField(null=True)

    def __str__(self) -> str:
        return f"{self.location_id}: return {self.ret_id} of {long_date(self.for_date)}"


for _code in KEPT_NUMBERS:
    CurrentReturn.add_to_class(_code, models.FloatField(null=True))
for _code in KEPT_FLAGS:
    CurrentReturn.add_to_class(_code, models.BooleanField(null=True))
for _code in KEPT_TEXTS:
    CurrentReturn.add_to_class(_code, models.CharField(max_length=60, null=True))


class KeptTotals(models.Model):
    """One authority's returns-summary sums and counts for one day, kept once worked out
    (kept_totals): a summary over many authorities adds up a row each instead of reading
    every service's return. Derived data, forgotten from a day on whenever a return for that
    day or later is written, and for every day when the register changes; rebuilt on the
    next summary that needs it. Checked against the returns by `caresight current_returns
    check`.
    """

    authority = models.ForeignKey("registry.Authority", on_delete=models.CASCADE,
                                  related_name="+")
    for_date = models.DateField()
    # The measure sets in use on the day ("group:version ..."): the totals' questions.
    measure_sets = models.CharField(max_length=200)
    # JSON, kept as text (never queried into, and read back as written, without jsonb's
    # conversion): {"keys": [...], "by_type": {service type: [total, ...]}, "by_locality":
    # [[locality ID, service type, [total, ...]], ...]} (kept_totals.AuthorityTotals), and
    # [[location ID, CQC location ID], ...] for the services that had not returned.
    groups = models.TextField()
    missing = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "for_date"],
                                               name="kept_totals_once_a_day")]

    def __str__(self) -> str:
        return f"{self.authority_id}: totals of {long_date(self.for_date)}"


class KeptTotalsVersion(models.Model):
    """How many times an authority's returns or register have changed: totals worked out
    while a change committed are not kept (kept_totals.keep)."""

    authority = models.OneToOneField("registry.Authority", primary_key=True,
                                     on_delete=models.CASCADE, related_name="+")
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.authority_id}: version {self.version}"
