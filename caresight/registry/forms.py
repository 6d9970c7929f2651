from django import forms

from caresight.core.forms import GovukModelForm, OnceOnlyFormMixin

from .models import ClientGroup, Location, Provider


class LocationForm(OnceOnlyFormMixin, GovukModelForm):
    client_groups = forms.MultipleChoiceField(
        choices=ClientGroup.choices, widget=forms.CheckboxSelectMultiple, required=False,
        label="Client groups",
    )

    class Meta:
        model = Location
        fields = [
            "name", "cqc_location_id", "provider", "service_type", "client_groups",
            "registered_beds", "address_line_1", "address_line_2", "town", "postcode",
            "district_code", "authority", "locality", "registration_status",
            "registration_date", "deregistration_date", "cqc_rating", "cqc_rating_date",
            "ods_code", "manager_name", "phone", "email", "clinical_lead",
            "clinical_lead_contact",
        ]
        widgets = {
            "registration_date": forms.DateInput(),
            "deregistration_date": forms.DateInput(),
            "cqc_rating_date": forms.DateInput(),
        }
        help_texts = {
            "cqc_location_id": "Leave blank for a service CQC does not register.",
            "registered_beds": "Care homes only.",
            "locality": "Leave blank to place the service by its postcode or district.",
        }

    def __init__(self, *args, authorities, localities, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities
        self.fields["locality"].queryset = localities
        self.fields["provider"].queryset = providers
        self.fields["provider"].help_text = "Not listed? Add the provider first."
        if self.instance.pk:
            del self.fields["submission_token"]

    def clean_postcode(self):
        return " ".join(self.cleaned_data["postcode"].upper().split())

class ProviderForm(OnceOnlyFormMixin, GovukModelForm):
    class Meta:
        model = Provider
        fields = ["name", "cqc_provider_id", "is_small", "contact_name", "phone", "email",
                  "website"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["submission_token"]
