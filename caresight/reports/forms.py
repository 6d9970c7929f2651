"""Report forms: they check the shape of answers; the services check the rest."""

from django import forms

from caresight.core.forms import GovukForm, OnceOnlyFormMixin
from caresight.registry.models import Authority

from .kinds import kind_choices, narrative_sections
from .models import ReportSchedule


class EntryEditForm(GovukForm):
    section = forms.ChoiceField(label="Section", choices=())
    service_area = forms.CharField(
        label="Service area (optional)", required=False, max_length=100,
        help_text="A heading within the section, such as Adults or Children's.")
    on = forms.DateField(label="Date", widget=forms.DateInput(),
                         help_text="The entry is in every report whose period takes in this "
                                   "day.")
    text = forms.CharField(label="Entry", widget=forms.Textarea(attrs={"rows": 6}),
                           help_text="Plain text. Each line break is kept.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = list(narrative_sections().items())


class EntryForm(OnceOnlyFormMixin, EntryEditForm):
    authority: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Council", queryset=Authority.objects.none(), empty_label=None)
    field_order = ["authority"]

    def __init__(self, *args, authorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities


class SettingsForm(GovukForm):
    title = forms.CharField(label="Title", max_length=200)
    author_line = forms.CharField(label="Report author", required=False, max_length=200,
                                  help_text="As printed on the report, for example a name or "
                                            "a team.")
    service_areas = forms.CharField(label="Service areas", required=False, max_length=200)
    sections_text = forms.CharField(
        label="Sections", widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text="One section a line, in order: key | heading | data sections (comma "
                  "separated, optional) | narrative or no narrative.")
    logo = forms.FileField(label="Logo (optional)", required=False,
                           help_text="A PNG or JPEG image of 512 kB or smaller.")
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)


class ScheduleEditForm(GovukForm):
    kind = forms.ChoiceField(label="Report", choices=())
    joint_with = forms.ModelMultipleChoiceField(
        label="Joint area (optional)", queryset=Authority.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose further councils for a joint report. This council's report settings "
                  "apply.")
    frequency = forms.ChoiceField(label="How often", choices=ReportSchedule.Frequency.choices,
                                  widget=forms.RadioSelect)
    weekday = forms.TypedChoiceField(
        label="Day of the week (weekly)", required=False, coerce=int, empty_value=None,
        choices=[("", "Choose a day"), *((str(n), day) for n, day in ReportSchedule.WEEKDAYS)],
        help_text="A weekly report covers the seven days ending the day before.")
    day_of_month = forms.IntegerField(
        label="Day of the month (monthly)", required=False, min_value=1, max_value=28,
        help_text="From 1 to 28. A monthly report covers the previous calendar month.")
    time_of_day = forms.TimeField(label="Time", widget=forms.TimeInput(format="%H:%M"),
                                  help_text="UK time, 24-hour clock, for example 08:00.")
    recipients = forms.CharField(
        label="Distribution list", widget=forms.Textarea(attrs={"rows": 5,
                                                                 "spellcheck": "false"}),
        help_text="One email address a line (or separated by commas). Each one is checked.")
    active = forms.BooleanField(label="Send this report on schedule", required=False,
                                initial=True)

    def __init__(self, *args, authorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        self.fields["joint_with"].queryset = authorities


class ScheduleForm(OnceOnlyFormMixin, ScheduleEditForm):
    pass
