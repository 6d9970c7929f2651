"""Outbreak forms. They check the shape of answers; the services check what must be true."""

from django import forms
from django.utils import timezone

from caresight.core.forms import GovukForm, OnceOnlyFormMixin

from .models import Kind, Outbreak, Status
from .services import Counts

YES_NO_UNCHANGED = [("", "Not stated"), ("yes", "Yes"), ("no", "No")]


class CountsForm(GovukForm):
    kind = forms.ChoiceField(label="Suspected or confirmed", choices=Kind.choices,
                             widget=forms.RadioSelect)
    new_cases_residents = forms.IntegerField(
        label="New cases among residents", min_value=0, initial=0,
        help_text="Since the last update. For a first report, every case so far.")
    new_cases_staff = forms.IntegerField(label="New cases among staff", min_value=0, initial=0)
    deaths = forms.IntegerField(label="Deaths", min_value=0, initial=0,
                                help_text="Residents who have died since the last update.")
    admissions_closed = forms.ChoiceField(label="Are admissions closed?", required=False,
                                          choices=YES_NO_UNCHANGED, widget=forms.RadioSelect)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def counts(self) -> Counts:
        data = self.cleaned_data
        closed = {"yes": True, "no": False}.get(data["admissions_closed"])
        return Counts(kind=data["kind"], new_cases_residents=data["new_cases_residents"],
                      new_cases_staff=data["new_cases_staff"], deaths=data["deaths"],
                      admissions_closed=closed, notes=data["notes"])


class ReportForm(OnceOnlyFormMixin, CountsForm):
    """Report a new outbreak at a service."""

    reported_on = forms.DateField(label="Date reported", widget=forms.DateInput())
    reported_by = forms.ChoiceField(label="Who reported it", choices=Outbreak.ReportedBy.choices,
                                    widget=forms.RadioSelect)
    reporter_name = forms.CharField(label="Name of the person who reported it", required=False,
                                    max_length=150)
    first_symptoms_on = forms.DateField(label="Date of first symptoms", required=False,
                                        widget=forms.DateInput())
    field_order = ["reported_on", "reported_by", "reporter_name", "kind", "first_symptoms_on",
                   "new_cases_residents", "new_cases_staff", "deaths", "admissions_closed",
                   "notes"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("reported_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class UpdateForm(OnceOnlyFormMixin, CountsForm):
    on = forms.DateField(label="Date of this update", widget=forms.DateInput())
    field_order = ["on", "kind", "new_cases_residents", "new_cases_staff", "deaths",
                   "admissions_closed", "notes"]


class OverrideForm(OnceOnlyFormMixin, GovukForm):
    status = forms.ChoiceField(label="New status", choices=Status.choices,
                               widget=forms.RadioSelect)
    on = forms.DateField(label="From", widget=forms.DateInput())
    reason = forms.CharField(label="Reason", required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Why the status is being set by hand. This is kept.")


class ThresholdsForm(GovukForm):
    de_escalation_days = forms.IntegerField(
        label="Days without a new case before de-escalation", min_value=1, max_value=365)
    closure_days = forms.IntegerField(
        label="Days without a new case before closure", min_value=2, max_value=365)


class ImtMeetingForm(OnceOnlyFormMixin, GovukForm):
    held_on = forms.DateField(label="Date of the meeting", widget=forms.DateInput())
    attendees = forms.CharField(label="Who attended", widget=forms.Textarea(attrs={"rows": 4}),
                                help_text="Names and organisations, one per line.")
    summary = forms.CharField(label="Discussion and decisions", required=False,
                              widget=forms.Textarea(attrs={"rows": 5}))


class ImtActionForm(OnceOnlyFormMixin, GovukForm):
    description = forms.CharField(label="Action", max_length=500)
    owner = forms.CharField(label="Owner", max_length=150)
    due_on = forms.DateField(label="Due by", widget=forms.DateInput())


class LearningReviewForm(GovukForm):
    reviewed_on = forms.DateField(label="Date of the review", widget=forms.DateInput())
    what_happened = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 5}))
    lessons = forms.CharField(label="Lessons learnt", widget=forms.Textarea(attrs={"rows": 5}))
    shared_with = forms.CharField(label="Shared with", widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text="Who the lessons were shared with.")
