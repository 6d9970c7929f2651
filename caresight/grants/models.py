"""The Infection Control Fund: rounds, allocations, agreements, payments, recoveries and spend.

A round is data (elements, instalments, conditions, spend categories), so a new round needs no
code. Allocations are written once, when a round's allocation is confirmed, and never change:
corrections are adjustments with a reason. Payments are written once per allocation and
instalment (a database constraint), so no sequence of payment runs can pay anyone twice.
Money is Decimal pounds and pence throughout.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from caresight.registry.models import Authority, Location, Provider, ServiceType

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}


class Method(models.TextChoices):
    PER_BED = "per_bed", "Per registered bed"
    PER_PERSON = "per_person", "Per person supported"
    PER_HOUR = "per_hour", "Per hour of care"
    PER_STAFF = "per_staff", "Per staff member"
    FIXED = "fixed", "Fixed amounts"
    PANEL = "panel", "Panel award"


# Methods whose amounts are entered per service rather than worked out from units.
AMOUNT_METHODS = (Method.FIXED, Method.PANEL)
UNIT_NAMES = {Method.PER_BED: ("bed", "beds"), Method.PER_PERSON: ("person", "people"),
              Method.PER_HOUR: ("hour", "hours"), Method.PER_STAFF: ("staff member", "staff")}


class ConditionKind(models.TextChoices):
    AGREEMENT_SIGNED = "agreement_signed", "Agreement signed"
    RECENT_RETURN = "recent_return", "A Capacity Tracker return within the last N days"
    SPEND_RETURN = "spend_return", "A spend return for the round"


class Round(models.Model):
    """One round of the fund for one authority: its allocation, elements and instalments."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT,
                                  related_name="grant_rounds")
    name = models.CharField(max_length=150)
    template = models.CharField(max_length=40, blank=True,
                                help_text="The template the round was made from, if any.")
    amount = models.DecimalField("the authority's allocation", **MONEY)
    eligibility_date = models.DateField()
    spend_categories = models.JSONField(
        default=list, help_text='What providers report spend against: [{"code": …, "label": …}].')
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-eligibility_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="round_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.authority})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def category_labels(self) -> dict[str, str]:
        return {c["code"]: c["label"] for c in self.spend_categories}


class Element(models.Model):
    """A share of the round passed on by one rule (e.g. 75% to care homes per registered bed)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="elements")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=150)
    share = models.DecimalField("share of the allocation (%)", max_digits=5, decimal_places=2)
    method = models.CharField(max_length=20, choices=Method.choices)
    service_types = models.JSONField(default=list)
    cqc_registered_only = models.BooleanField(default=True)
    discretionary = models.BooleanField(default=False)
    retained = models.DecimalField("contingency retained by the council", default=0, **MONEY)

    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=100),
                                   name="element_share_percent"),
            models.CheckConstraint(condition=Q(retained__gte=0), name="element_retained_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.share.normalize():f}%)"

    @property
    def service_type_labels(self) -> list[str]:
        return [ServiceType(t).label for t in self.service_types]


class ElementInput(models.Model):
    """Units or an amount entered for one service in an element (hours, staff, panel awards)."""

    element = models.ForeignKey(Element, on_delete=models.CASCADE, related_name="inputs")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.CharField(max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["element", "location"], name="one_input_per_service"),
            models.CheckConstraint(condition=Q(value__gt=0), name="element_input_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.location}: {self.value}"


class Instalment(models.Model):
    """A share of every allocation, due on a day, paid only where its conditions are met."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    share = models.DecimalField("share of each allocation (%)", max_digits=5, decimal_places=2)
    due_on = models.DateField()
    conditions = models.JSONField(default=list, help_text='[{"kind": "recent_return", "days": 14}]')

    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="one_instalment_number"),
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=100),
                                   name="instalment_share_percent"),
        ]

    def __str__(self) -> str:
        return (f"Instalment {self.number} ({self.share.normalize():f}%, "
                f"due {self.due_on:%-d %B %Y})")


class Allocation(models.Model):
    """What one service was allocated from one element. Written once; never changed."""

    # No index of their own: (round, provider) and (element, location) below lead with them,
    # and every index is written for each of a national round's 16,000 allocations.
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="allocations",
                              db_index=False)
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="allocations",
                                db_index=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    # Copied from the service when allocated, for tenancy and for the record.
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    units = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(**MONEY)
    explanation = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    # The history is read by allocation (its id), never by these.
    history = HistoricalRecords(no_db_index=["round", "element", "location", "provider",
                                             "authority"])

    class Meta:
        ordering = ["round", "element", "location__name"]
        constraints = [
            models.UniqueConstraint(fields=["element", "location"],
                                    name="one_allocation_per_element"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="allocation_not_negative"),
        ]
        indexes = [models.Index(fields=["round", "provider"])]

    def __str__(self) -> str:
        return f"{self.location} — £{self.amount:,}"


class Adjustment(models.Model):
    """A correction to a confirmed allocation (more or less), with the reason for it."""

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT,
                                   related_name="adjustments")
    amount = models.DecimalField(**MONEY)
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["allocation", "created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="adjustment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"£{self.amount:,} on {self.allocation}"


class Agreement(models.Model):
    """A provider's answer to a round's grant conditions: accepted (signed) or declined."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted and signed"
        DECLINED = "declined", "Declined"

    class Method(models.TextChoices):
        PORTAL = "portal", "Signed in Caresight"
        PAPER = "paper", "Paper agreement recorded by an officer"

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="agreements")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    signed_name = models.CharField("name", max_length=150)
    signed_role = models.CharField("role", max_length=150)
    responded_on = models.DateField()
    responded_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    method = models.CharField(max_length=10, choices=Method.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT,
                                    related_name="+")

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "provider"],
                                    name="one_agreement_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.get_decision_display()}"

    @property
    def method_in_words(self) -> str:
        """How it was given, inside a sentence ("signed in Caresight"): only the first letter
        lowered, so that the product's name keeps its capital."""
        label = self.get_method_display()
        return label[:1].lower() + label[1:]


class PaymentRun(models.Model):
    """What one instalment pays, as worked out on a day; confirmed once by finance."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="payment_runs")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="runs")
    as_of = models.DateField("conditions checked on")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withheld = models.JSONField(default=list, blank=True,
                                help_text="What was withheld and why, kept when confirmed.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Payment run {self.pk}: {self.instalment}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class Payment(models.Model):
    """Money paid on one allocation for one instalment. Written once; never changed."""

    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="payments")
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="payments")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="payments")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["run", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "instalment"],
                                    name="one_payment_per_instalment"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"£{self.amount:,} to {self.provider}"


class Recovery(models.Model):
    """Money recovered (clawed back) from a payment, with the reason."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="recoveries")
    amount = models.DecimalField(**MONEY)
    recovered_on = models.DateField()
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "recoveries"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_positive"),
        ]

    def __str__(self) -> str:
        return f"£{self.amount:,} recovered from {self.payment}"


class SpendReturn(models.Model):
    """What a provider spent from a round, by category; a later return replaces the lines."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="spend_returns")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    over_reason = models.TextField("why spend is more than was paid", blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "provider"], name="one_spend_return"),
        ]

    def __str__(self) -> str:
        return f"Spend return from {self.provider} for {self.round}"


class SpendLine(models.Model):
    spend_return = models.ForeignKey(SpendReturn, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(max_length=40)
    amount = models.DecimalField(**MONEY)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["spend_return", "category"],
                                    name="one_line_per_category"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="spend_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.category}: £{self.amount:,}"
