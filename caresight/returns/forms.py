"""Return forms built from a measure set: one field per question, grouped by section."""

import datetime as dt

from django import forms
from django.utils import timezone

from caresight.core.forms import GovukForm, OnceOnlyFormMixin

from .models import Measure

YES_NO = [("yes", "Yes"), ("no", "No")]


def _field(measure: Measure) -> forms.Field:
    common: dict = {"label": measure.label, "help_text": measure.hint,
                    "required": measure.required}
    if measure.kind == Measure.Kind.YES_NO:
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    if measure.kind == Measure.Kind.CHOICE:
        return forms.ChoiceField(choices=[tuple(c) for c in measure.choices],
                                 widget=forms.RadioSelect, **common)
    if measure.kind == Measure.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(), **common)
    # GOV.UK asks for text inputs with a numeric keyboard rather than type="number".
    inputmode = "numeric" if measure.kind == Measure.Kind.WHOLE_NUMBER else "decimal"
    return forms.CharField(widget=forms.TextInput(attrs={
        "inputmode": inputmode, "class": "govuk-input govuk-input--width-5",
        "spellcheck": "false"}), **common)


def initial_answers(values: dict) -> dict:
    """Stored values as the form shows them (yes/no for true/false)."""
    return {code: ("yes" if v else "no") if isinstance(v, bool) else v
            for code, v in values.items()}


class ReturnForm(OnceOnlyFormMixin, GovukForm):
    """The day's answers. Bounds and cross-question rules are checked by the service."""

    for_date = forms.DateField(label="Date these answers are for", widget=forms.DateInput(),
                               help_text="Usually today.")

    def __init__(self, *args, measures: list[Measure], **kwargs):
        super().__init__(*args, **kwargs)
        self.measures = measures
        for measure in measures:
            self.fields[measure.code] = _field(measure)
        self.style_fields()

    def clean_for_date(self) -> dt.date:
        day = self.cleaned_data["for_date"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future")
        return day

    def sections(self) -> list[tuple[str, list]]:
        grouped: dict[str, list] = {}
        for measure in self.measures:
            grouped.setdefault(measure.section, []).append(self[measure.code])
        return list(grouped.items())

    def answers(self) -> dict:
        """The answers as typed, for the service to check and store."""
        return {m.code: self.data.get(m.code, "") for m in self.measures}


class SummaryForm(GovukForm):
    as_of = forms.DateField(label="Date", widget=forms.DateInput(), required=False)
    previous = forms.DateField(label="Compare with", widget=forms.DateInput(), required=False,
                               help_text="Leave blank for a week earlier.")
    authority = forms.ChoiceField(label="Area", required=False)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].choices = [("", "All your authorities"), *areas]
        if not areas:
            del self.fields["authority"]
