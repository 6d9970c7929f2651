"""Beds forms. They check the shape of answers; the services check what must be true (one
person per bed, no more placements than beds, within the scheme's dates and after a
designated setting's assurance, a valid NHS number). Money is taken as text and read by the
services, so a refusal names the field."""

from typing import cast

from django import forms
from django.db.models import QuerySet

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.forms import GovukForm, OnceOnlyFormMixin
from caresight.core.tenancy import Capability
from caresight.governance.models import FundingSource
from caresight.registry.models import Authority, ClientGroup, Location

from . import selectors
from .models import (
    CovidStatus,
    Destination,
    Pathway,
    PaymentBasis,
    SchemeKind,
    Source,
)

C = Capability


class MoneyField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "spellcheck": "false",
                                  "class": "govuk-input govuk-input--width-10"})


class UnshownInput(forms.TextInput):
    """A text input that never shows back what was typed in it (an NHS number)."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


def _date(label: str, required: bool = True, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(), **kwargs)


def _text(label: str, rows: int = 3, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=False,
                           widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _offer(form: forms.BaseForm, name: str, queryset: QuerySet) -> None:
    """Offer only these records in a choice field (the user's scope)."""
    field = cast(forms.ModelChoiceField, form.fields[name])
    field.queryset = queryset
    only = list(queryset[:2])
    if len(only) == 1 and not form.is_bound:
        field.initial = only[0].pk


class SchemeEditForm(GovukForm):
    """What a scheme is (its beds change through capacity, dated)."""

    name = forms.CharField(label="Name", max_length=200,
                           help_text="For example, Orchard House step-down beds.")
    kind = forms.ChoiceField(label="Kind of scheme", choices=SchemeKind.choices)
    location = forms.ModelChoiceField(label="Service", queryset=Location.objects.none(),
                                      help_text="The service on the register the beds are in.")
    payment_basis = forms.ChoiceField(label="Paid for", choices=PaymentBasis.choices,
                                      widget=forms.RadioSelect)
    client_groups = forms.MultipleChoiceField(
        label="Client groups", required=False, choices=ClientGroup.choices,
        widget=forms.CheckboxSelectMultiple)
    max_stay_days = forms.IntegerField(
        label="Longest intended stay (days)", required=False, min_value=1, max_value=365,
        widget=forms.NumberInput(),
        help_text="For example 14 for step-down or isolation beds, 42 for pathway 2 beds.")
    funding_source = forms.ChoiceField(label="Funding source", choices=FundingSource.choices)
    weekly_rate = MoneyField(label="Weekly rate per bed", help_text="In pounds, like 850.00.")
    commissioned_by = forms.ModelChoiceField(label="Commissioning organisation",
                                             queryset=Organisation.objects.none())
    starts_on = _date("From")
    ends_on = _date("To", required=False, help_text="Leave blank while the scheme runs on.")
    cqc_assured_on = _date(
        "CQC assurance date", required=False,
        help_text="Designated settings only: no placement can be made before this date.")
    notes = _text("Notes")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _offer(self, "location", tenancy.in_scope(user, C.MANAGE_BEDS, Location).filter(
            registration_status="registered").select_related("authority").order_by("name"))
        self.fields["location"].label_from_instance = (  # type: ignore[attr-defined]
            lambda loc: f"{loc.name} ({loc.authority.name})")
        _offer(self, "commissioned_by", selectors.commissioning_organisations(user))


class SchemeForm(OnceOnlyFormMixin, SchemeEditForm):
    """A new scheme: its council and the beds it starts with, then what it is."""

    authority = forms.ModelChoiceField(label="Council", queryset=Authority.objects.none(),
                                       help_text="The council the beds are commissioned for.")
    beds = forms.IntegerField(label="Beds commissioned", min_value=0, max_value=10_000,
                              widget=forms.NumberInput(),
                              help_text="From the scheme's start; change them later by date.")
    payment_basis = forms.ChoiceField(
        label="Paid for", required=False, widget=forms.RadioSelect,
        choices=[("", "As the kind suggests (spot for a spot purchase, otherwise block)"),
                 *PaymentBasis.choices])
    max_stay_days = forms.IntegerField(
        label="Longest intended stay (days)", required=False, min_value=1, max_value=365,
        widget=forms.NumberInput(),
        help_text="Leave blank for the national scheme's: 14 days for a designated setting or "
                  "step-down beds, 42 for pathway 2.")

    field_order = ["authority", "name", "kind", "location", "beds"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        _offer(self, "authority", tenancy.authorities(user, C.MANAGE_BEDS))
        self.style_fields()

    def clean_payment_basis(self):
        return self.cleaned_data.get("payment_basis") or None


class CapacityForm(OnceOnlyFormMixin, GovukForm):
    from_date = _date("From", help_text="The beds apply from this day on, until a later change.")
    beds = forms.IntegerField(label="Beds", min_value=0, max_value=10_000,
                              widget=forms.NumberInput())
    note = forms.CharField(label="Why the beds change", required=False, max_length=300,
                           help_text="For example, two beds added under the winter contract.")


NHS_NUMBER_HINT = ("Checked by its check digit, then kept only as a keyed hash to "
                   "link the person's placements: it is never shown again.")


class PlacementEditForm(GovukForm):
    """A placement's details (its discharge is recorded on its own page)."""

    bed_number = forms.IntegerField(label="Bed", min_value=1, max_value=10_000,
                                    widget=forms.NumberInput())
    person_reference = forms.CharField(
        label="Person reference", max_length=30,
        help_text='A pseudonymous reference such as "CH-0412". Never a name.')
    nhs_number = forms.CharField(
        label="NHS number", required=False, max_length=20,
        widget=UnshownInput(attrs={"class": "govuk-input govuk-input--width-10",
                                   "autocomplete": "off", "spellcheck": "false",
                                   "inputmode": "numeric"}),
        help_text=NHS_NUMBER_HINT + " Give it only to add or correct it.")
    source = forms.ChoiceField(label="From", choices=Source.choices, widget=forms.RadioSelect)
    hospital_trust = forms.CharField(label="Hospital trust", required=False, max_length=200,
                                     help_text="For someone discharged from hospital.")
    hospital_site = forms.CharField(label="Hospital site", required=False, max_length=200,
                                    help_text="For example, Addenbrooke's.")
    admitted_on = _date("Admitted")
    expected_discharge_on = _date("Expected discharge", required=False)
    covid_status = forms.ChoiceField(label="COVID-19 status on admission",
                                     choices=CovidStatus.choices, widget=forms.RadioSelect)
    # No pathway is chosen for the officer: "pathway 0" saved by not looking would be wrong.
    pathway = forms.ChoiceField(label="Pathway", choices=[("", "Choose a pathway"),
                                                          *Pathway.choices])
    funding_source = forms.ChoiceField(label="Funding source", choices=FundingSource.choices)
    notes = _text("Notes", help_text="Never a name or clinical detail.")


class PlacementForm(OnceOnlyFormMixin, PlacementEditForm):
    bed_number = forms.IntegerField(label="Bed", required=False, min_value=1, max_value=10_000,
                                    widget=forms.NumberInput(),
                                    help_text="Leave blank to take the lowest free bed.")
    nhs_number = forms.CharField(
        label="NHS number", required=False, max_length=20,
        widget=UnshownInput(attrs={"class": "govuk-input govuk-input--width-10",
                                   "autocomplete": "off", "spellcheck": "false",
                                   "inputmode": "numeric"}),
        help_text=NHS_NUMBER_HINT)


class DischargeForm(GovukForm):
    discharged_on = _date("Discharged")
    destination = forms.ChoiceField(label="Where the person went", choices=Destination.choices,
                                    widget=forms.RadioSelect)


class ClaimForm(OnceOnlyFormMixin, GovukForm):
    authority = forms.ModelChoiceField(label="Council", queryset=Authority.objects.none(),
                                       empty_label="Choose a council")
    month = _date("Month claimed for", help_text="Any day in the month: the claim is for the "
                                                 "whole month.")
    claimed_from = forms.ModelChoiceField(label="Claimed from",
                                          queryset=Organisation.objects.none(),
                                          empty_label="Choose an NHS partner")
    amount = MoneyField(label="Amount claimed", help_text="In pounds, like 12,480.00.")
    submitted_on = _date("Submitted")
    reference = forms.CharField(label="Reference", required=False, max_length=100,
                                help_text="The return's reference, if it has one.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _offer(self, "authority", tenancy.authorities(user, C.RECORD_BED_CLAIMS))
        _offer(self, "claimed_from", selectors.nhs_partners(user))
