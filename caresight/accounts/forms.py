from django import forms
from django.contrib.auth.forms import SetPasswordForm

from caresight.core import tenancy
from caresight.core.forms import GovukForm, GovukFormMixin, OnceOnlyFormMixin
from caresight.core.tenancy import Capability
from caresight.registry.models import Authority, Provider

from .models import Organisation, Role


class SignInForm(GovukForm):
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(
        attrs={"autocomplete": "email", "spellcheck": "false"}))
    password = forms.CharField(label="Password", widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))


class CodeForm(GovukForm):
    code = forms.CharField(
        label="Code", max_length=16,
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "class": "govuk-input govuk-input--width-10",
                                      "spellcheck": "false"}),
    )


# --- Managing users, invitations and forgotten passwords ------------------------------------


def _administered_authorities(user):
    return tenancy.authorities(user, Capability.MANAGE_USERS)


class _AuthoritiesMixin:
    """Only the authorities the administrator holds are offered (and accepted)."""

    def limit_authorities(self, user) -> None:
        field = self.fields["authorities"]  # type: ignore[attr-defined]
        field.queryset = _administered_authorities(user)
        if field.queryset.count() == 1:
            field.initial = list(field.queryset)


class InviteForm(OnceOnlyFormMixin, _AuthoritiesMixin, GovukForm):
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(
        attrs={"autocomplete": "off", "spellcheck": "false"}))
    full_name = forms.CharField(label="Full name", max_length=150)
    role = forms.ChoiceField(label="Role", choices=Role.choices, widget=forms.RadioSelect)
    authorities = forms.ModelMultipleChoiceField(
        label="Authorities", queryset=Authority.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="Only the authorities you administer.")
    organisation = forms.ModelChoiceField(
        label="Organisation", required=False, queryset=Organisation.objects.none(),
        empty_label="A new organisation (name it below)",
        help_text="Leave as a new organisation for a provider user: their provider is used.")
    organisation_name = forms.CharField(
        label="Name of the new organisation", required=False, max_length=200,
        help_text="For example, Cambridgeshire County Council. Left blank: the first "
                  "authority's council.")
    provider = forms.ModelChoiceField(
        label="Provider (for provider users)", required=False, queryset=Provider.objects.none(),
        empty_label="Not a provider user")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from . import selectors

        self.limit_authorities(user)
        self.fields["organisation"].queryset = selectors.organisations_for(user=user)
        self.fields["provider"].queryset = tenancy.in_scope(
            user, Capability.MANAGE_USERS, Provider).order_by("name")
        self.style_fields()

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.PROVIDER_USER and not data.get("provider"):
            self.add_error("provider", "Choose the provider a provider user works for")
        return data


class MembershipForm(_AuthoritiesMixin, GovukForm):
    role = forms.ChoiceField(label="Role", choices=Role.choices, widget=forms.RadioSelect)
    authorities = forms.ModelMultipleChoiceField(
        label="Authorities", queryset=Authority.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="Only the authorities you administer; any others this role covers are kept.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_authorities(user)


class PasswordResetForm(GovukForm):
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(
        attrs={"autocomplete": "email", "spellcheck": "false"}))


class NewPasswordForm(GovukFormMixin, SetPasswordForm):
    """Django's form to choose a password (twice, checked by the password validators)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = (
            "At least 12 characters; not a common password and not all numbers.")
        self.fields["new_password2"].label = "Confirm the new password"
        self.fields["new_password2"].help_text = ""
        for field in self.fields.values():
            field._govuk_styled = False  # type: ignore[attr-defined]  # again, with the labels
        self.style_fields()
