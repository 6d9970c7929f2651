from django import forms

from caresight.core.forms import GovukForm


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
