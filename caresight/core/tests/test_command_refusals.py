"""Every refusal of a command names the field it is about."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from caresight.core.errors import errors_within, refusal_text


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def definition(tmp_path, **changes):
    data = {"name": "A round as data", "spend_categories": [{"code": "other", "label": "Other"}],
            "elements": [{"name": "Per bed", "share": "100", "method": "per_bed",
                          "service_types": ["care_home"]}],
            "instalments": [{"share": "50", "due_offset_days": 7,
                             "conditions": [{"kind": "agreement_signed"}]},
                            {"share": "50", "due_offset_days": 60, "conditions": []}]}
    data.update(changes)
    path = tmp_path / "round.json"
    path.write_text(json.dumps(data))
    return str(path)


CREATE = ["grants", "create", "--authority", "E10000003", "--amount", "4000",
          "--eligibility-date", "2020-05-01", "--definition"]


@pytest.mark.django_db
class TestGrantsCreate:
    def test_an_instalment_without_conditions_is_named_with_its_field(self, cambs, tmp_path):
        from caresight.grants.models import Round

        with pytest.raises(CommandError) as refused:
            run(*CREATE, definition(tmp_path))
        assert str(refused.value) == "instalments[2].conditions: This field cannot be blank."
        assert not Round.objects.exists()

    def test_an_element_without_a_name_is_named_with_its_field(self, cambs, tmp_path):
        element = {"share": "100", "method": "per_bed", "service_types": ["care_home"]}
        with pytest.raises(CommandError, match=r"^elements\[1\]\.name: "):
            run(*CREATE, definition(tmp_path, elements=[element], instalments=[
                {"share": "100", "conditions": [{"kind": "agreement_signed"}]}]))

    def test_a_message_that_names_its_field_is_not_named_twice(self, cambs, tmp_path):
        with pytest.raises(CommandError) as refused:
            run(*CREATE, definition(tmp_path, instalments=[
                {"share": "100", "conditions": [{"kind": "nonsense"}]}]))
        assert str(refused.value) == "Instalment 1: unknown condition 'nonsense'."


@pytest.mark.django_db
class TestOtherCommands:
    def test_user_create_names_the_field(self, cambs):
        with pytest.raises(CommandError) as refused:
            run("user", "create", "--email", "not-an-email", "--role", "commissioner",
                "--authority", "E10000003")
        assert str(refused.value) == "email: Enter a valid email address."

    def test_locality_create_names_the_field(self, cambs):
        with pytest.raises(CommandError) as refused:
            run("locality", "create", "--authority", "E10000003", "--name", "")
        assert str(refused.value) == "name: This field cannot be blank."


def test_errors_within_names_each_field_after_the_part():
    with pytest.raises(ValidationError) as raised, errors_within("instalments[1]"):
        raise ValidationError({"conditions": ["This field cannot be blank."],
                               "__all__": ["Whole instalment wrong."]})
    assert raised.value.message_dict == {
        "instalments[1].conditions": ["This field cannot be blank."],
        "instalments[1]": ["Whole instalment wrong."]}


def test_refusal_text_names_fields_but_not_twice():
    assert refusal_text(ValidationError({"email": ["Enter a valid email address."]})) == (
        "email: Enter a valid email address.")
    assert refusal_text(ValidationError({"amount": ["Amount must be more than £0."]})) == (
        "Amount must be more than £0.")
    assert refusal_text(ValidationError(["Just a message."])) == "Just a message."
