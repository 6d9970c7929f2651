"""Risk log forms. They check the shape of answers; the services check what must be true."""

import datetime as dt

from django import forms
from django.utils import timezone

from caresight.core.forms import GovukForm, OnceOnlyFormMixin

from . import rules
from .models import Concern, Rating


class OverrideForm(OnceOnlyFormMixin, GovukForm):
    rating = forms.ChoiceField(label="Rating", choices=Rating.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label="Reason", required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Why the rules' rating is not right. This is kept.")
    starts_on = forms.DateField(label="From", widget=forms.DateInput())
    expires_on = forms.DateField(label="Until", widget=forms.DateInput(),
                                 help_text="The last day the override applies.")

    def __init__(self, *args, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault("initial", {"starts_on": today,
                                      "expires_on": today + dt.timedelta(days=14)})
        super().__init__(*args, **kwargs)


class ConcernForm(OnceOnlyFormMixin, GovukForm):
    raised_on = forms.DateField(label="Date raised", widget=forms.DateInput())
    source = forms.ChoiceField(label="Where it came from", choices=Concern.Source.choices,
                               widget=forms.RadioSelect)
    summary = forms.CharField(label="The concern", max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ConcernCloseForm(GovukForm):
    closed_on = forms.DateField(label="Date closed", widget=forms.DateInput())
    closing_note = forms.CharField(label="How it was resolved", required=False, max_length=500)


class PolicyForm(GovukForm):
    """One enable box, rating and (where it has one) threshold per rule."""

    ambers_make_red = forms.IntegerField(
        label="Amber reasons that together make a service red", min_value=0, max_value=20,
        help_text="0 means amber reasons never add up to red.")

    def __init__(self, *args, policy: rules.Policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule_fields = []
        for rule in rules.RULES:
            setting = policy.settings[rule.code]
            names = [f"{rule.code}__enabled", f"{rule.code}__rating"]
            self.fields[names[0]] = forms.BooleanField(
                label=f"Use the rule “{rule.label}”", required=False, initial=setting.enabled)
            self.fields[names[1]] = forms.ChoiceField(
                label=f"{rule.label}: rating when it applies", initial=setting.rating,
                choices=[(Rating.RED, "Red"), (Rating.AMBER, "Amber")])
            if rule.threshold is not None:
                names.append(f"{rule.code}__threshold")
                self.fields[names[2]] = forms.DecimalField(
                    label=f"{rule.label}: {rule.threshold_label.lower()}", min_value=0,
                    max_digits=6, decimal_places=1, initial=setting.threshold)
            self.rule_fields.append((rule, names))
        self.fields["ambers_make_red"].initial = policy.ambers_make_red
        self.style_fields()

    def chosen(self) -> dict:
        data = self.cleaned_data
        out = {}
        for rule, names in self.rule_fields:
            out[rule.code] = {"enabled": data[names[0]], "rating": data[names[1]]}
            if len(names) > 2:
                out[rule.code]["threshold"] = data[names[2]]
        return out
