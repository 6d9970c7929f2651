"""Workforce forms. They check the shape of answers; the services check what must be true
(a Monday, not in the future, absences within staff in post)."""

from django import forms

from caresight.core.forms import GovukForm, OnceOnlyFormMixin
from caresight.registry.models import Authority

from .models import ABSENCE_REASONS


class TeamForm(OnceOnlyFormMixin, GovukForm):
    authority: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Council", queryset=Authority.objects.none(), empty_label=None)
    name = forms.CharField(label="Team name", max_length=200,
                           help_text="For example, Commissioning or Brokerage.")

    def __init__(self, *args, authorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities


def _count(label: str, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, widget=forms.NumberInput(), **kwargs)


class TeamWeekEditForm(GovukForm):
    """A week's counts and note (correcting a week keeps the week it is for)."""

    staff_in_post = _count("Staff in post")
    absent_symptoms = _count(ABSENCE_REASONS[0][1], initial=0)
    absent_household = _count(ABSENCE_REASONS[1][1], initial=0)
    absent_shielding = _count(ABSENCE_REASONS[2][1], initial=0)
    absent_positive = _count(ABSENCE_REASONS[3][1], initial=0)
    absent_other = _count(ABSENCE_REASONS[4][1], initial=0,
                          help_text="Absent because of COVID-19 for another reason.")
    vacancies = _count("Vacancies", initial=0)
    redeployed_in = _count("Staff redeployed into the team", initial=0)
    redeployed_out = _count("Staff redeployed out of the team", initial=0)
    note = forms.CharField(label="Note", required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class TeamWeekForm(OnceOnlyFormMixin, TeamWeekEditForm):
    week_commencing = forms.DateField(label="Week commencing", widget=forms.DateInput(),
                                      help_text="The Monday the week starts on.")
    field_order = ["week_commencing"]
