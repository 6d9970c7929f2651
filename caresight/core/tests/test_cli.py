"""The one `--authority` option every command reads: the same codes, the same refusal."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from caresight.registry.models import Authority
from caresight.risk.models import SavedLog

UNKNOWN = "Unknown authority code 'E99999999'"


@pytest.mark.django_db
class TestAuthorityOption:
    def test_an_ons_code_a_region_or_england_stands_for_its_authorities(self, cambs):
        call_command("risk", "save-log", "--authority", "e10000003")
        assert list(SavedLog.objects.values_list("authority", flat=True)) == [cambs.pk]
        call_command("risk", "save-log", "--authority", "E12000006", "--as-of", "2020-06-04")
        east = set(Authority.objects.filter(region__ons_code="E12000006", valid_to=None)
                   .values_list("pk", flat=True))
        assert set(SavedLog.objects.filter(as_of="2020-06-04")
                   .values_list("authority", flat=True)) == east
        call_command("risk", "save-log", "--authority", "england", "--as-of", "2020-06-05")
        assert SavedLog.objects.filter(as_of="2020-06-05").count() == Authority.objects.filter(
            valid_to=None).count()

    @pytest.mark.parametrize("command", [
        ["risk", "save-log"],
        ["export", "locations"],
        ["summary", "returns", "--as-of", "2020-06-04"],
        ["summary", "outbreaks", "--as-of", "2020-06-04"],
        ["locality", "create", "--name", "Nowhere"],
        ["grants", "allocate", "--template", "icf-2020-round-1", "--amount", "1.00",
         "--eligibility-date", "2020-06-01"],
        ["user", "create", "--email", "x@example.org", "--role", "viewer"],
    ])
    def test_every_command_refuses_an_unknown_code_in_the_same_words(self, command):
        with pytest.raises(CommandError, match=UNKNOWN):
            call_command(*command, "--authority", "E99999999")
        assert not SavedLog.objects.exists()

    @pytest.mark.parametrize("command", [
        ["locality", "create", "--name", "East"],
        ["grants", "allocate", "--template", "icf-2020-round-1", "--amount", "1.00",
         "--eligibility-date", "2020-06-01"],
    ])
    def test_a_command_for_one_authority_refuses_a_region(self, command):
        with pytest.raises(CommandError, match="give one authority's ONS code"):
            call_command(*command, "--authority", "E12000006")
