"""`caresight grants …` and `caresight summary grants`: the JSON contracts and bad input."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from caresight.grants.models import Payment, Round
from caresight.grants.tests.factories import ELIGIBILITY, accept, care_home, row_counts


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def homes(cambs, devon):
    return [care_home(cambs, beds=28, cqc_location_id="1-300000001"),
            care_home(cambs, beds=12, cqc_location_id="1-300000002"),
            care_home(devon, beds=40, cqc_location_id="1-300000003")]


ALLOCATE = ["grants", "allocate", "--authority", "E10000003", "--template", "icf-2020-round-1",
            "--eligibility-date", ELIGIBILITY.isoformat()]


@pytest.mark.django_db
class TestGrantsCommand:
    def test_allocate_prints_the_what_if_and_writes_nothing(self, homes):
        before = row_counts()
        data = json.loads(run(*ALLOCATE, "--amount", "1751000.00", "--format", "json"))
        assert row_counts() == before
        beds = data["elements"][0]
        assert (beds["total"], beds["units"], beds["rate"]) == ("1313250.00", "40", "32831.25")
        rows = {row["cqc_location_id"]: row for row in data["locations"]}
        assert set(rows) == {"1-300000001", "1-300000002"}  # not Devon's home
        assert rows["1-300000001"] == {
            "cqc_location_id": "1-300000001", "name": homes[0].name,
            "provider": homes[0].provider.name, "element": beds["name"], "units": "28",
            "amount": "919275.00", "explanation": "28 beds × £32,831.25 per bed"}
        # No community services: the discretionary element says why.
        assert "no eligible services" in data["problems"][0]

    @pytest.mark.parametrize("amount, message", [
        ("-5", "negative"), ("abc", "not an amount of money"), ("1.234", "decimal places")])
    def test_bad_amounts_are_refused(self, homes, amount, message):
        with pytest.raises(CommandError, match=message):
            run(*ALLOCATE, "--amount", amount)

    def test_a_round_with_no_eligible_providers_is_refused(self, devon):
        with pytest.raises(CommandError, match="No eligible providers"):
            run(*ALLOCATE, "--amount", "100.00")

    def test_create_confirm_pay_and_summarise(self, homes, tmp_path):
        definition = tmp_path / "round.json"
        definition.write_text(json.dumps({
            "name": "A round as data", "spend_categories": [{"code": "other", "label": "Other"}],
            "elements": [{"name": "Per bed", "share": "100", "method": "per_bed",
                          "service_types": ["care_home"]}],
            "instalments": [{"share": "100", "due_offset_days": 7,
                             "conditions": [{"kind": "agreement_signed"}]}]}))
        run("grants", "create", "--authority", "E10000003", "--definition", str(definition),
            "--amount", "4000", "--eligibility-date", ELIGIBILITY.isoformat())
        round = Round.objects.get()
        run("grants", "confirm", "--round", str(round.pk))
        with pytest.raises(CommandError, match="cannot change"):
            run("grants", "confirm", "--round", str(round.pk))
        accept(round, homes[0].provider)
        out = tmp_path / "pay.csv"
        run("grants", "pay", "--round", str(round.pk), "--instalment", "1", "--output", str(out))
        assert "2800.00" in out.read_text()
        assert Payment.objects.count() == 1
        summary = json.loads(run("summary", "grants", "--round", str(round.pk),
                                 "--format", "json"))
        assert summary["paid"] == "2800.00" and summary["providers_paid"] == 1
        assert summary["reconciliation"]["still_to_pay"] == "1200.00"

    def test_elements_over_100_percent_are_refused(self, homes, tmp_path):
        definition = tmp_path / "round.json"
        element = {"name": "Per bed", "share": "60", "method": "per_bed",
                   "service_types": ["care_home"]}
        definition.write_text(json.dumps({
            "name": "Too much", "spend_categories": [{"code": "other", "label": "Other"}],
            "elements": [element, element],
            "instalments": [{"share": "100", "due_offset_days": 7, "conditions": []}]}))
        with pytest.raises(CommandError, match="120%, more than 100%"):
            run("grants", "create", "--authority", "E10000003", "--definition",
                str(definition), "--amount", "4000", "--eligibility-date",
                ELIGIBILITY.isoformat())
        assert not Round.objects.exists()
