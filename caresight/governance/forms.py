"""Risk register, decision and business case forms. They check the shape of answers; the
services check what must be true. Money is taken as text and read by the services."""

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.forms import GovukForm, OnceOnlyFormMixin
from caresight.core.tenancy import Capability
from caresight.grants.models import Round
from caresight.outbreaks.models import Outbreak
from caresight.plans.models import ActionPlan, PlanAction
from caresight.registry.models import Authority, Provider

from . import selectors
from .models import (
    CaseStatus,
    Category,
    Decision,
    FundingSource,
    MitigationStatus,
    Risk,
    RiskStatus,
)


class MoneyField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "spellcheck": "false"})


def _score(label: str, hint: str = "") -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, max_value=5, help_text=hint)


def _text(label: str, required: bool = False, rows: int = 3, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=required,
                           widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _offer(form: forms.BaseForm, name: str, queryset: QuerySet) -> None:
    """Offer only these records in a choice field (the user's scope)."""
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset


def _authority_field(form: forms.BaseForm, user) -> None:
    authorities = tenancy.authorities(user, Capability.MANAGE_PLANS)
    _offer(form, "authority", authorities)
    if len(authorities) == 1:
        form.fields["authority"].initial = authorities[0].pk


class ScoresMixin(forms.Form):
    likelihood = _score("Likelihood", "Before mitigation: 1 (rare) to 5 (almost certain).")
    impact = _score("Impact", "Before mitigation: 1 (negligible) to 5 (severe).")
    residual_likelihood = _score("Residual likelihood", "After the mitigations: 1 to 5.")
    residual_impact = _score("Residual impact", "After the mitigations: 1 to 5.")
    residual_narrative = _text("Residual risk", rows=5,
                               help_text="What remains after the mitigations, in words.")
    residual_reason = _text("Why the residual score is above the inherent score",
                            help_text="Needed only when it is.")
    target_score = forms.IntegerField(label="Target score", min_value=1, max_value=25,
                                      required=False, help_text="1 to 25. Optional.")
    next_review_on = forms.DateField(label="Next review", required=False,
                                     widget=forms.DateInput())


def _link_fields(form: forms.Form, user) -> None:
    _offer(form, "actions", selectors.action_choices(user=user))
    _offer(form, "providers", selectors.provider_choices(user=user))
    _offer(form, "outbreaks", selectors.outbreak_choices(user=user))


class RiskEditForm(GovukForm):
    """What a risk is (its scores change only by a review)."""

    reference = forms.CharField(label="Reference", max_length=20, help_text="For example R1.")
    title = forms.CharField(label="Risk", max_length=200)
    description = _text("Description")
    category = forms.ChoiceField(label="Category", choices=Category.choices)
    owner = forms.CharField(label="Owner", required=False, max_length=200)
    raised_on = forms.DateField(label="Date raised", widget=forms.DateInput())
    actions = forms.ModelMultipleChoiceField(label="Plan actions", required=False,
                                             queryset=PlanAction.objects.none())
    providers = forms.ModelMultipleChoiceField(label="Providers", required=False,
                                               queryset=Provider.objects.none())
    outbreaks = forms.ModelMultipleChoiceField(label="Outbreaks", required=False,
                                               queryset=Outbreak.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _link_fields(self, user)


class RiskForm(OnceOnlyFormMixin, ScoresMixin, RiskEditForm):
    """A new risk: what it is, its authority, and its first review's scores."""

    authority = forms.ModelChoiceField(label="Authority", queryset=Authority.objects.none())

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {"raised_on": timezone.localdate()})
        super().__init__(*args, user=user, **kwargs)
        _authority_field(self, user)

    field_order = ["authority", "reference", "title", "description", "category", "owner",
                   "raised_on"]


class RiskReviewForm(OnceOnlyFormMixin, ScoresMixin, GovukForm):
    reviewed_on = forms.DateField(label="Date of the review", widget=forms.DateInput())
    status = forms.ChoiceField(label="Status", choices=RiskStatus.choices,
                               widget=forms.RadioSelect)
    note = _text("Note")

    field_order = ["reviewed_on", "likelihood", "impact", "residual_likelihood",
                   "residual_impact", "residual_narrative", "residual_reason", "target_score",
                   "next_review_on", "status", "note"]


class MitigationForm(GovukForm):
    description = _text("Mitigation", required=True)
    owner = forms.CharField(label="Owner", required=False, max_length=200)
    status = forms.ChoiceField(label="Status", choices=MitigationStatus.choices,
                               widget=forms.RadioSelect)
    started_on = forms.DateField(label="Start date", widget=forms.DateInput())
    due_on = forms.DateField(label="Due date", required=False, widget=forms.DateInput())


class MitigationNewForm(OnceOnlyFormMixin, MitigationForm):
    pass


class DecisionForm(GovukForm):
    title = _text("What was decided", required=True)
    decided_on = forms.DateField(label="Date of the decision", widget=forms.DateInput())
    decided_by = forms.CharField(label="Decided by", max_length=200,
                                 help_text="A body, such as CCG Governing Body or Adults "
                                 "Committee, or an officer's name.")
    key_decision = forms.BooleanField(label="This is a key decision", required=False)
    related_plan = forms.ModelChoiceField(label="Related plan", required=False,
                                          empty_label="No plan",
                                          queryset=ActionPlan.objects.none())
    related_risk = forms.ModelChoiceField(label="Related risk", required=False,
                                          empty_label="No risk",
                                          queryset=Risk.objects.none())
    related_round = forms.ModelChoiceField(label="Related Infection Control Fund round",
                                           empty_label="No round",
                                           queryset=Round.objects.none(), required=False)
    financial_implications = _text("Financial implications")
    amount = MoneyField(label="Amount (£)", required=False, help_text="Optional, for example "
                        "250000.00.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _offer(self, "related_plan", selectors.plan_choices(user=user))
        _offer(self, "related_risk", selectors.risk_list(user=user).order_by("reference"))
        _offer(self, "related_round", selectors.round_choices(user=user))


class DecisionNewForm(OnceOnlyFormMixin, DecisionForm):
    authority = forms.ModelChoiceField(label="Authority", queryset=Authority.objects.none())

    field_order = ["authority"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        _authority_field(self, user)


class CaseForm(GovukForm):
    title = forms.CharField(label="Title", max_length=300)
    summary = _text("Summary")
    submitted_to = forms.ModelChoiceField(label="Submitted to",
                                          queryset=Organisation.objects.none())
    submitted_on = forms.DateField(label="Date submitted", required=False,
                                   widget=forms.DateInput(), help_text="Leave blank for a draft.")
    amount = MoneyField(label="Amount (£)", help_text="For example 1250000.00.")
    funding_source = forms.ChoiceField(label="Funding source", choices=FundingSource.choices,
                                       widget=forms.RadioSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _offer(self, "submitted_to", selectors.organisation_choices(user=user))


class CaseNewForm(OnceOnlyFormMixin, CaseForm):
    authority = forms.ModelChoiceField(label="Authority", queryset=Authority.objects.none())
    status = forms.ChoiceField(label="Status", choices=CaseStatus.choices,
                               initial=CaseStatus.DRAFT)
    status_on = forms.DateField(label="Status from", widget=forms.DateInput())

    field_order = ["authority"]

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {"status_on": timezone.localdate()})
        super().__init__(*args, user=user, **kwargs)
        _authority_field(self, user)


class CaseStatusForm(OnceOnlyFormMixin, GovukForm):
    status = forms.ChoiceField(label="Status", choices=CaseStatus.choices,
                               widget=forms.RadioSelect)
    on = forms.DateField(label="Status from (date)", widget=forms.DateInput())
    decision = forms.ModelChoiceField(label="The decision that settled it",
                                      empty_label="Not settled yet",
                                      queryset=Decision.objects.none(),
                                      required=False,
                                      help_text="For agreed, not approved or withdrawn.")
    note = _text("Note")

    def __init__(self, *args, case, user, **kwargs):
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        _offer(self, "decision", selectors.decision_list(user=user).filter(
            authority_id=case.authority_id))
