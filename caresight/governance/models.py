"""The risk register, decisions and business cases.

What a record *is* is kept on the record; how it *stood* on a day is kept in dated rows: a
risk's scores, status and next review in `RiskReview`, a business case's status in
`BusinessCaseStatus`. A register or list for any past day reads the latest row on or before it.
"""

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from caresight.accounts.models import Organisation
from caresight.registry.models import Authority

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


def _created_by():
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")


class Category(models.TextChoices):
    MARKET_CAPACITY = "market_capacity", "Market capacity"
    WORKFORCE = "workforce", "Workforce"
    PPE = "ppe", "PPE and supplies"
    FINANCE = "finance", "Finance"
    HOSPITAL_DISCHARGE = "hospital_discharge", "Hospital discharge"
    INFECTION_CONTROL = "infection_control", "Infection control"
    OTHER = "other", "Other"


class Risk(models.Model):
    """A risk on an authority's register (seed 000's "Risks" column). Its scores are in its
    dated reviews."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="risks")
    reference = models.CharField(max_length=20, help_text='Short, e.g. "R1".')
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    owner = models.CharField(max_length=200, blank=True)
    raised_on = models.DateField()
    actions = models.ManyToManyField("plans.PlanAction", blank=True, related_name="risks")
    providers = models.ManyToManyField("registry.Provider", blank=True, related_name="risks")
    outbreaks = models.ManyToManyField("outbreaks.Outbreak", blank=True, related_name="risks")
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(m2m_fields=[actions, providers, outbreaks])

    class Meta:
        ordering = ["authority", "reference", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "reference"],
                                    name="risk_reference_unique_per_authority"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class RiskReview(models.Model):
    """A risk's assessment from a day on: inherent and residual likelihood × impact, the
    residual narrative (seed 000's "Residual Risk" column), target, next review and status."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField()
    likelihood = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE)
    impact = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE)
    residual_likelihood = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE)
    residual_impact = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE)
    residual_narrative = models.TextField(blank=True)
    residual_reason = models.TextField(
        blank=True, help_text="Why the residual score is above the inherent score.")
    target_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(25)])
    next_review_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=6, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    note = models.TextField(blank=True)
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["risk", "reviewed_on"]
        constraints = [
            models.UniqueConstraint(fields=["risk", "reviewed_on"],
                                    name="one_risk_review_a_day"),
            *[models.CheckConstraint(condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                                     name=f"risk_review_{name}_1_to_5")
              for name in ("likelihood", "impact", "residual_likelihood", "residual_impact")],
            models.CheckConstraint(condition=Q(target_score__isnull=True)
                                   | Q(target_score__gte=1, target_score__lte=25),
                                   name="risk_review_target_1_to_25"),
        ]

    def __str__(self) -> str:
        return f"{self.risk} reviewed {self.reviewed_on}"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def residual_score(self) -> int:
        return self.residual_likelihood * self.residual_impact


class MitigationStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    IN_PLACE = "in_place", "In place"
    COMPLETE = "complete", "Complete"


class Mitigation(models.Model):
    """What is being done about a risk (seed 000's "Mitigations" column)."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="mitigations")
    description = models.TextField()
    owner = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=MitigationStatus.choices,
                              default=MitigationStatus.PLANNED)
    started_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["risk", "started_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(due_on__isnull=True)
                                   | Q(due_on__gte=F("started_on")),
                                   name="mitigation_due_after_start"),
        ]

    def __str__(self) -> str:
        return self.description[:80]


class Decision(models.Model):
    """A decision taken (seed 003's "Decisions made since last reporting period")."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="decisions")
    title = models.CharField("what was decided", max_length=500)
    decided_on = models.DateField()
    decided_by = models.CharField(
        max_length=200, help_text='A body ("CCG Governing Body", "Adults Committee") or an '
        "officer's name.")
    key_decision = models.BooleanField(default=False)
    related_plan = models.ForeignKey("plans.ActionPlan", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="decisions")
    related_risk = models.ForeignKey(Risk, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="decisions")
    related_round = models.ForeignKey("grants.Round", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="decisions")
    financial_implications = models.TextField(blank=True)
    amount = models.DecimalField(null=True, blank=True, **MONEY)
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_on", "-pk"]
        indexes = [models.Index(fields=["authority", "decided_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0),
                                   name="decision_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title


class FundingSource(models.TextChoices):
    NHS_DISCHARGE = "nhs_discharge", "NHS discharge funding"
    INFECTION_CONTROL_FUND = "infection_control_fund", "Infection Control Fund"
    COUNCIL = "council", "Council"
    NHS_PARTNER = "nhs_partner", "NHS partner"
    OTHER = "other", "Other"


class CaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_DISCUSSION = "in_discussion", "Discussions ongoing"
    APPROVED = "approved", "Approved"
    NOT_APPROVED = "not_approved", "Not approved"
    WITHDRAWN = "withdrawn", "Withdrawn"


class BusinessCase(models.Model):
    """A case for funding put to a partner (the CCG, the council). Its status is dated, in
    `BusinessCaseStatus`."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT,
                                  related_name="business_cases")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    submitted_to = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    submitted_on = models.DateField(null=True, blank=True)
    amount = models.DecimalField(**MONEY)
    funding_source = models.CharField(max_length=30, choices=FundingSource.choices)
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="business_cases",
                                 help_text="The decision that settled it.")
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0),
                                   name="business_case_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title


class BusinessCaseStatus(models.Model):
    """A business case's status from a day on (with the decision that settled it, if any)."""

    case = models.ForeignKey(BusinessCase, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(max_length=15, choices=CaseStatus.choices)
    on = models.DateField()
    note = models.TextField(blank=True)
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "on", "pk"]
        verbose_name_plural = "business case statuses"
        indexes = [models.Index(fields=["case", "-on", "-id"], name="case_status_latest")]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_status_display()} from {self.on}"
