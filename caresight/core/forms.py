"""Forms rendered in GOV.UK Design System markup, with the error summary pattern."""

import copy
import uuid
from typing import TYPE_CHECKING

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError

from caresight.core.timeutils import check_date_range

WIDGET_CLASSES = {
    forms.TextInput: "govuk-input",
    forms.EmailInput: "govuk-input",
    forms.NumberInput: "govuk-input govuk-input--width-5",
    forms.PasswordInput: "govuk-input",
    forms.DateInput: "govuk-input govuk-input--width-10",
    forms.URLInput: "govuk-input",
    forms.Select: "govuk-select",
    forms.Textarea: "govuk-textarea",
    forms.ClearableFileInput: "govuk-file-upload",
    forms.FileInput: "govuk-file-upload",
}


if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class GovukFormMixin(_FormBase):
    """Adds GOV.UK classes to widgets and an error summary; renders with includes/form.html."""

    template_name = "includes/form.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        """Give fields GOV.UK classes and messages; call again after adding fields."""
        for name, field in self.fields.items():
            if getattr(field, "_govuk_styled", False):
                continue
            field._govuk_styled = True  # type: ignore[attr-defined]
            css = next(
                (c for w, c in WIDGET_CLASSES.items() if type(field.widget) is w), None
            )
            if css:
                field.widget.attrs.setdefault("class", css)
            if field.help_text:
                field.widget.attrs.setdefault("aria-describedby", f"id_{name}-hint")
            _name_the_field_in_messages(field)
            if isinstance(field.widget, forms.DateInput):
                field.widget.input_type = "date"
                field.widget.format = "%Y-%m-%d"  # the only form a date input understands
            if isinstance(field, forms.DateField):
                field.validators = [*field.validators, _DateRangeValidator(field.label)]

    def full_clean(self):
        """After validation, mark fields in error and point them at their messages."""
        super().full_clean()
        self._mark_errors()

    def add_error(self, field, error):
        """An error found after validation (by a service) is marked the same way."""
        super().add_error(field, error)
        if hasattr(self, "cleaned_data"):
            self._mark_errors()

    def _mark_errors(self) -> None:
        for name, field in self.fields.items():
            described_by = []
            if field.help_text:
                described_by.append(f"{self[name].auto_id}-hint")
            if name in self.errors:
                described_by.append(f"{self[name].auto_id}-error")
                css = field.widget.attrs.get("class", "")
                if css and "--error" not in css:
                    base = css.split()[0]
                    field.widget.attrs["class"] = f"{css} {base}--error"
            if described_by:
                field.widget.attrs["aria-describedby"] = " ".join(described_by)

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs for the error summary at the top of the page."""
        items = []
        for name, errors in self.errors.items():
            anchor = next(iter(self.fields), "") if name == "__all__" else name
            bound = self[anchor] if anchor in self.fields else None
            target = bound.id_for_label if bound is not None else ""
            if bound is not None and bound.widget_type in ("checkboxselectmultiple", "radioselect"):
                target = f"{bound.auto_id}_0"
            items += [(target, str(message)) for message in errors]
        return items


class GovukForm(GovukFormMixin, forms.Form):
    pass


class GovukModelForm(GovukFormMixin, forms.ModelForm):
    pass


TOKEN_FIELD = "submission_token"


class OnceOnlyFormMixin:
    """A hidden one-time token: the service acts on the first submission only (see
    `core.views.handle_form`). Every form that creates something has one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[TOKEN_FIELD] = forms.UUIDField(
            widget=forms.HiddenInput, initial=uuid.uuid4
        )


def _name_the_field_in_messages(field: forms.Field) -> None:
    """Say which field is wrong, as the GOV.UK error message guidance asks."""
    label = str(field.label or "This field")
    lower = label[0].lower() + label[1:]
    field.error_messages = {
        **field.error_messages,
        "required": f"Enter {lower}" if not isinstance(
            field, (forms.ChoiceField, forms.ModelChoiceField)) else f"Choose {lower}",
        "invalid": f"Enter a valid {lower}",
        "invalid_choice": f"Choose {lower} from the list",
    }
    replaced = []
    for validator in field.validators:
        if isinstance(validator, validators.MinValueValidator):
            validator = copy.copy(validator)
            validator.message = f"{label} must be %(limit_value)s or more"
        elif isinstance(validator, validators.MaxValueValidator):
            validator = copy.copy(validator)
            validator.message = f"{label} must be %(limit_value)s or less"
        elif isinstance(validator, validators.MaxLengthValidator):
            validator = copy.copy(validator)
            validator.message = f"{label} must be %(limit_value)d characters or fewer"
        replaced.append(validator)
    field.validators = replaced


class _DateRangeValidator:
    """A date a person gives lies within the range Caresight accepts (core.timeutils)."""

    def __init__(self, label):
        self.label = str(label or "The date")

    def __call__(self, value):
        try:
            check_date_range(value, self.label)
        except ValueError as exc:
            raise ValidationError(str(exc), code="date_range") from None

    def __eq__(self, other):
        return isinstance(other, _DateRangeValidator) and other.label == self.label


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where it names one of its fields."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ImportUploadForm(GovukForm):
    """The one upload form of every import; its hint comes from the import's registration."""

    file = forms.FileField(label="Upload a file")

    def __init__(self, *args, hint: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if hint:
            self.fields["file"].help_text = hint
            self.fields["file"].widget.attrs["aria-describedby"] = "id_file-hint"
