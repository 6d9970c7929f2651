"""Commissioned beds and the people placed in them after hospital (or from the community).

A scheme's beds change over time, so its capacity is kept in dated rows (`BedCapacity`): the
beds on a day are those of the latest row on or before it. A placement occupies its bed for
each night from its admission up to, not including, its discharge day, so a bed given up in the
morning can be taken again that afternoon.
"""

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from caresight.accounts.models import Organisation
from caresight.governance.models import FundingSource
from caresight.registry.models import Authority, Location

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}


class SchemeKind(models.TextChoices):
    DESIGNATED_SETTING = "designated_setting", "Designated setting"
    STEP_DOWN = "step_down", "Step-down / quarantine"
    PATHWAY_2 = "pathway_2", "Discharge to assess pathway 2"
    CRISIS = "crisis", "LD/MH crisis or isolation"
    BLOCK = "block", "Block contract"
    SPOT = "spot", "Spot purchase"
    OTHER = "other", "Other"


class PaymentBasis(models.TextChoices):
    """Block beds are paid for every night, occupied or not; spot beds only when occupied."""

    BLOCK = "block", "Block (paid whether occupied or not)"
    SPOT = "spot", "Spot (paid when occupied)"


# The longest stays the national schemes intended, offered when a scheme is set up.
INTENDED_STAY_DAYS = {
    SchemeKind.DESIGNATED_SETTING: 14,
    SchemeKind.STEP_DOWN: 14,
    SchemeKind.PATHWAY_2: 42,
}
# Funding that is reclaimed from the NHS (reconciled each month against what was claimed).
NHS_FUNDING = (FundingSource.NHS_DISCHARGE, FundingSource.NHS_PARTNER)


def _by_user(related_name: str = "+"):
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name=related_name)


class BedScheme(models.Model):
    """Beds commissioned in a service on the register for a purpose ("12 step-down beds at
    Orchard House")."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="bed_schemes",
                                  help_text="The council the beds are commissioned for.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SchemeKind.choices)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="bed_schemes",
                                 verbose_name="service")
    payment_basis = models.CharField(max_length=5, choices=PaymentBasis.choices,
                                     default=PaymentBasis.BLOCK)
    client_groups = models.JSONField(default=list, blank=True)
    max_stay_days = models.PositiveSmallIntegerField(
        "longest intended stay (days)", null=True, blank=True, validators=[MinValueValidator(1)])
    funding_source = models.CharField(max_length=30, choices=FundingSource.choices)
    weekly_rate = models.DecimalField("weekly rate per bed", **MONEY)
    commissioned_by = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="bed_schemes",
        verbose_name="commissioning organisation",
        help_text="The council or NHS partner that commissions (and pays for) the beds.")
    starts_on = models.DateField("from")
    ends_on = models.DateField("to", null=True, blank=True)
    cqc_assured_on = models.DateField(
        "CQC assurance date", null=True, blank=True,
        help_text="Designated settings only: no placement before CQC assured the setting.")
    notes = models.TextField(blank=True)
    created_by = _by_user()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authority", "name", "pk"]
        indexes = [models.Index(fields=["authority", "kind"]),
                   models.Index(fields=["location"])]
        constraints = [
            models.UniqueConstraint(fields=["authority", "name"],
                                    name="bed_scheme_name_unique_per_authority"),
            models.CheckConstraint(condition=Q(weekly_rate__gte=0),
                                   name="bed_scheme_rate_not_negative"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True)
                                   | Q(ends_on__gte=F("starts_on")),
                                   name="bed_scheme_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class BedCapacity(models.Model):
    """A scheme's beds from a day on (capacity changes over time)."""

    scheme = models.ForeignKey(BedScheme, on_delete=models.CASCADE, related_name="capacities")
    from_date = models.DateField()
    beds = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True)
    created_by = _by_user()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["scheme", "from_date"]
        verbose_name_plural = "bed capacities"
        constraints = [
            models.UniqueConstraint(fields=["scheme", "from_date"],
                                    name="one_bed_capacity_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}: {self.beds} beds from {self.from_date}"


class Source(models.TextChoices):
    HOSPITAL = "hospital", "Hospital"
    COMMUNITY = "community", "Community"


class CovidStatus(models.TextChoices):
    POSITIVE = "positive", "COVID-19 positive"
    NEGATIVE = "negative", "Tested negative"
    AWAITING = "awaiting", "Awaiting result"
    NOT_TESTED = "not_tested", "Not tested"


class Pathway(models.TextChoices):
    PATHWAY_0 = "0", "Pathway 0 (home, no new support)"
    PATHWAY_1 = "1", "Pathway 1 (home with support)"
    PATHWAY_2 = "2", "Pathway 2 (short-term bed)"
    PATHWAY_3 = "3", "Pathway 3 (long-term care home)"
    NOT_APPLICABLE = "na", "Not applicable (from the community)"


class Destination(models.TextChoices):
    HOME = "home", "Home without care"
    HOME_WITH_CARE = "home_with_care", "Home with care"
    CARE_HOME = "care_home", "Long-term care home"
    READMITTED = "readmitted", "Readmitted to hospital"
    DIED = "died", "Died"
    OTHER = "other", "Other"


class Placement(models.Model):
    """A person in a scheme's bed, known by a pseudonymous reference (never a name).

    An NHS number, where given, is kept only as a keyed hash (`beds.pseudonyms`), so the same
    person's placements can be linked without the number being stored.
    """

    scheme = models.ForeignKey(BedScheme, on_delete=models.PROTECT, related_name="placements")
    bed_number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    person_reference = models.CharField(
        max_length=30, help_text='A pseudonymous reference such as "CH-0412"; never a name.')
    nhs_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    source = models.CharField("from", max_length=10, choices=Source.choices)
    hospital_trust = models.CharField(max_length=200, blank=True)
    hospital_site = models.CharField(max_length=200, blank=True)
    admitted_on = models.DateField()
    expected_discharge_on = models.DateField("expected discharge", null=True, blank=True)
    discharged_on = models.DateField("discharged", null=True, blank=True)
    destination = models.CharField(max_length=15, choices=Destination.choices, blank=True)
    covid_status = models.CharField("COVID-19 status on admission", max_length=10,
                                    choices=CovidStatus.choices)
    pathway = models.CharField(max_length=2, choices=Pathway.choices)
    funding_source = models.CharField(max_length=30, choices=FundingSource.choices)
    placed_by = _by_user("placements")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(excluded_fields=["nhs_number_hash"])

    class Meta:
        ordering = ["scheme", "admitted_on", "pk"]
        indexes = [
            models.Index(fields=["admitted_on", "discharged_on"], name="placement_nights"),
            models.Index(fields=["scheme", "admitted_on"], name="placement_scheme_admitted"),
            models.Index(fields=["discharged_on"], name="placement_discharged"),
            models.Index(fields=["nhs_number_hash"], name="placement_person"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(discharged_on__isnull=True)
                                   | Q(discharged_on__gte=F("admitted_on")),
                                   name="placement_discharged_after_admission"),
            models.CheckConstraint(condition=Q(expected_discharge_on__isnull=True)
                                   | Q(expected_discharge_on__gte=F("admitted_on")),
                                   name="placement_expected_after_admission"),
            models.CheckConstraint(condition=Q(discharged_on__isnull=True) | ~Q(destination=""),
                                   name="placement_discharged_has_destination"),
        ]

    def __str__(self) -> str:
        return f"{self.person_reference} in {self.scheme} bed {self.bed_number}"


class NhsClaim(models.Model):
    """What the council claimed from an NHS partner for a month's NHS-funded beds (the CCG's
    monthly return), reconciled against the cost Caresight works out."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="nhs_claims")
    month = models.DateField(help_text="The first day of the month claimed for.")
    claimed_from = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    submitted_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    created_by = _by_user()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authority", "-month", "claimed_from"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "month", "claimed_from"],
                                    name="one_nhs_claim_a_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="nhs_claim_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.claimed_from} {self.month:%B %Y}"
