from django import forms

from caresight.core.forms import GovukForm

from .models import Kind, NotificationPreference


class PreferencesForm(GovukForm):
    """Per kind the user may be told about: immediate, a daily digest, or off."""

    def __init__(self, *args, kinds: list[str], initial_choices: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Kind.choices)
        for kind in kinds:
            self.fields[kind] = forms.ChoiceField(
                label=labels[kind], choices=NotificationPreference.Delivery.choices,
                initial=initial_choices.get(kind), widget=forms.RadioSelect)
        self.style_fields()  # the GOV.UK radios for the fields added here
