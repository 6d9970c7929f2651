"""Infection Control Fund forms. They check the shape of answers; the services check the rules.

Money is taken as text and read by the services (`money.parse_money`), so "£1,751,000.00"
works and a float never appears.
"""

from django import forms
from django.utils import timezone

from caresight.core.forms import GovukForm, OnceOnlyFormMixin
from caresight.registry.models import Authority, ServiceType

from .models import Method
from .round_templates import TEMPLATE_CHOICES


class MoneyField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "spellcheck": "false"})


class RoundForm(OnceOnlyFormMixin, GovukForm):
    template = forms.ChoiceField(label="Template", choices=TEMPLATE_CHOICES,
                                 widget=forms.RadioSelect,
                                 help_text="The elements, instalments, conditions and spend "
                                 "categories to start from. You can change the elements "
                                 "before the allocation is confirmed.")
    authority = forms.ModelChoiceField(label="Authority", queryset=Authority.objects.none())
    name = forms.CharField(label="Name of the round", required=False, max_length=150,
                           help_text="Leave blank to use the template's name.")
    amount = MoneyField(label="The authority's allocation (£)",
                        help_text="As in the grant determination, for example 1751000.00.")
    eligibility_date = forms.DateField(
        label="Eligibility date", help_text="Services registered and in the authority on this "
        "day qualify. For example, 2020-05-15.")
    contingency = MoneyField(label="Contingency kept back from the discretionary element (£)",
                             required=False, initial="0.00")

    def __init__(self, *args, authorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities
        self.fields["template"].error_messages["required"] = "Choose a template"
        if len(authorities) == 1:
            self.fields["authority"].initial = authorities[0]


class ElementForm(GovukForm):
    share = forms.DecimalField(label="Share of the allocation (%)", min_value=0.01,
                               max_value=100, decimal_places=2)
    method = forms.ChoiceField(label="How it is shared out", choices=Method.choices,
                               widget=forms.RadioSelect)
    service_types = forms.MultipleChoiceField(label="Service types", choices=ServiceType.choices,
                                              widget=forms.CheckboxSelectMultiple)
    retained = MoneyField(label="Contingency kept back (£)", required=False)


class InputsForm(GovukForm):
    rows = forms.CharField(
        label="Units or awards", widget=forms.Textarea(attrs={"rows": 10}),
        help_text="One service a line: CQC location ID, then the number (people, hours, staff) "
        "or the amount in pounds, separated by a comma. For example: 1-1000000001, 24. "
        "This replaces anything entered before.")


class AdjustmentForm(OnceOnlyFormMixin, GovukForm):
    amount = MoneyField(label="Adjustment (£)", help_text="Negative to reduce the allocation, "
                        "for example -250.00.")
    reason = forms.CharField(label="Reason", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class AgreementForm(GovukForm):
    decision = forms.ChoiceField(label="Do you accept the grant conditions?", choices=[
        ("accept", "Yes, I accept the conditions on behalf of the provider"),
        ("decline", "No, we decline the grant")], widget=forms.RadioSelect)
    name = forms.CharField(label="Your full name", max_length=150)
    role = forms.CharField(label="Your role", max_length=150,
                           help_text="For example, registered manager or director.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].error_messages["required"] = (
            "Choose whether the conditions are accepted")


class PaperAgreementForm(AgreementForm):
    responded_on = forms.DateField(label="Date on the signed agreement")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].label = "What did the provider answer?"
        self.fields["name"].label = "Name of the person who signed"
        self.fields["role"].label = "Their role"


class PaymentRunForm(OnceOnlyFormMixin, GovukForm):
    instalment = forms.ChoiceField(label="Instalment", widget=forms.RadioSelect)
    as_of = forms.DateField(label="Check conditions on", help_text="Usually today.")

    def __init__(self, *args, instalments, **kwargs):
        kwargs.setdefault("initial", {"as_of": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["instalment"].choices = [(str(i.pk), str(i)) for i in instalments]


class RecoveryForm(OnceOnlyFormMixin, GovukForm):
    amount = MoneyField(label="Amount recovered (£)")
    recovered_on = forms.DateField(label="Date recovered")
    reason = forms.CharField(label="Reason", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class SpendForm(GovukForm):
    """One amount per spend category of the round, and a reason if spend exceeds payments."""

    over_reason = forms.CharField(
        label="If you spent more than you were paid, say why", required=False,
        max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, categories: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("over_reason")
        for category in categories:
            self.fields[category["code"]] = MoneyField(label=f"{category['label']} (£)",
                                                       required=False)
        self.fields["over_reason"] = reason
        self.category_codes = [c["code"] for c in categories]
        self.style_fields()
