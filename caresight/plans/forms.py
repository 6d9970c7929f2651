"""Forms for action plans and the winter plan. They check the shape of answers; the services
check what must be true."""

from django import forms
from django.utils import timezone

from caresight.accounts.models import Organisation
from caresight.core.forms import GovukForm, OnceOnlyFormMixin
from caresight.registry.models import Authority

from .models import ActionPlan, ActionStatus, ComplianceStatus, PlanArea, Rag, Timeline


class PlanForm(GovukForm):
    name = forms.CharField(label="Name of the plan", max_length=200,
                           help_text="For example, Care Home Support Plan.")
    authorities = forms.ModelMultipleChoiceField(
        label="Authorities", queryset=Authority.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="The councils the plan is joint between.")
    partners = forms.ModelMultipleChoiceField(
        label="Partner organisations", queryset=Organisation.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    submitted_on = forms.DateField(label="Date submitted", required=False,
                                   widget=forms.DateInput(),
                                   help_text="Leave blank for a draft.")
    status = forms.ChoiceField(label="Status", choices=ActionPlan.Status.choices,
                               widget=forms.RadioSelect, initial=ActionPlan.Status.DRAFT)

    def __init__(self, *args, authorities, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authorities"].queryset = authorities
        self.fields["partners"].queryset = partners


class CreatePlanForm(OnceOnlyFormMixin, PlanForm):
    pass


class AreaForm(OnceOnlyFormMixin, GovukForm):
    name = forms.CharField(label="Area", max_length=200,
                           help_text="A heading of the action table, for example Infection "
                           "Prevention and Control.")


class ActionForm(GovukForm):
    area = forms.ModelChoiceField(label="Area", queryset=PlanArea.objects.none(),
                                  empty_label=None)
    title = forms.CharField(label="Action", max_length=200)
    description = forms.CharField(label="Description", required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    timeline = forms.ChoiceField(label="Timeline", choices=Timeline.choices,
                                 widget=forms.RadioSelect, initial=Timeline.BY_DATE)
    due_on = forms.DateField(label="Due date", required=False, widget=forms.DateInput(),
                             help_text="For a timeline by a date.")
    leads = forms.ModelMultipleChoiceField(label="Lead organisations",
                                           queryset=Organisation.objects.none(),
                                           required=False, widget=forms.CheckboxSelectMultiple)
    owner = forms.CharField(label="Owner", max_length=200, required=False,
                            help_text="The person accountable, for example Head of "
                            "Commissioning.")
    started_on = forms.DateField(label="Start date", widget=forms.DateInput())
    status = forms.ChoiceField(label="Status at the start", choices=ActionStatus.choices,
                               widget=forms.RadioSelect, initial=ActionStatus.NOT_STARTED,
                               help_text="How the action stood when it started. Its status "
                               "since is set by Record progress.")
    rag = forms.ChoiceField(label="RAG at the start", choices=Rag.choices,
                            widget=forms.RadioSelect, initial=Rag.GREEN,
                            help_text="Likewise: later RAG ratings are recorded with progress.")

    def __init__(self, *args, areas, leads, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("started_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["leads"].queryset = leads


class CreateActionForm(OnceOnlyFormMixin, ActionForm):
    pass


class ProgressForm(OnceOnlyFormMixin, GovukForm):
    on = forms.DateField(label="Date", widget=forms.DateInput(),
                         help_text="The day the progress is as of.")
    text = forms.CharField(label="Progress", widget=forms.Textarea(attrs={"rows": 4}))
    status = forms.ChoiceField(label="Status", choices=ActionStatus.choices,
                               widget=forms.RadioSelect)
    rag = forms.ChoiceField(label="RAG", choices=Rag.choices, widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)


class WinterResponseForm(GovukForm):
    on = forms.DateField(label="Date", widget=forms.DateInput(),
                         help_text="The day this is how the council stands.")
    status = forms.ChoiceField(label="Status", widget=forms.RadioSelect, choices=[
        c for c in ComplianceStatus.choices if c[0] != ComplianceStatus.NOT_ASSESSED])
    owner = forms.CharField(label="Owner", max_length=200, required=False)
    due_on = forms.DateField(label="Local due date", required=False, widget=forms.DateInput())
    local_actions = forms.CharField(label="Local actions", required=False,
                                    widget=forms.Textarea(attrs={"rows": 5}),
                                    help_text="What the council has done or will do.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)


class EvidenceForm(OnceOnlyFormMixin, GovukForm):
    title = forms.CharField(label="What the evidence is", max_length=200,
                            help_text="For example, Letter to DHSC confirming the winter plan.")
    url = forms.URLField(label="Link", required=False, max_length=500, assume_scheme="https",
                         help_text="A web address, or choose a file below.")
    file = forms.FileField(label="File", required=False,
                           help_text="PDF, Word, Excel, OpenDocument, CSV, PNG or JPEG; up to "
                           "10 MB.")
    added_on = forms.DateField(label="Date", widget=forms.DateInput())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("added_on", timezone.localdate())
        super().__init__(*args, **kwargs)
