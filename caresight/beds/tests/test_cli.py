"""`caresight export beds|placements --as-of DATE` and `caresight summary beds`."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from caresight.core.tenancy import OPERATOR
from caresight.registry.tests.factories import LocationFactory

from .. import selectors
from . import factories
from .factories import START, VALID_NHS_NUMBER


def export(tmp_path, *args) -> list[dict]:
    out = tmp_path / "out.csv"
    call_command("export", *args, "--output", str(out), stderr=io.StringIO())
    return list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))


@pytest.fixture
def beds(cambs, devon):
    home = LocationFactory(authority=cambs, name="Orchard House", cqc_location_id="1-111111111")
    step_down = factories.scheme(cambs, location=home, beds=3)
    factories.placement(step_down, person_reference="CH-0001", admitted_on=START,
                        nhs_number=VALID_NHS_NUMBER)
    factories.placement(step_down, person_reference="CH-0002", admitted_on=START,
                        discharged_on=dt.date(2020, 4, 8), destination="home_with_care")
    later = factories.scheme(cambs, name="Later beds", starts_on=dt.date(2020, 5, 1))
    theirs = factories.scheme(devon, name="Devon beds", beds=5)
    return {"step_down": step_down, "later": later, "theirs": theirs}


@pytest.mark.django_db
class TestExports:
    def test_beds_lists_each_scheme_running_that_day_with_its_beds(self, tmp_path, beds):
        rows = export(tmp_path, "beds", "--as-of", "2020-04-20")
        assert [r["Scheme"] for r in rows] == ["Orchard House step-down", "Devon beds"]
        own = rows[0]
        assert own["Kind of scheme"] == "Step-down / quarantine"
        assert own["Service"] == "Orchard House" and own["CQC location ID"] == "1-111111111"
        assert own["Funding source"] == "NHS discharge funding"
        assert own["Basis"] == "Block (paid whether occupied or not)"
        assert own["Weekly rate per bed"] == "700.00"
        assert (own["Beds commissioned"], own["Occupied"], own["Free"], own["Overstays"]) == (
            "3", "1", "2", "1")

    def test_the_authority_and_to_narrow_and_set_the_day(self, tmp_path, beds):
        rows = export(tmp_path, "beds", "--to", "2020-05-02", "--authority", "E10000003")
        assert [r["Scheme"] for r in rows] == ["Later beds", "Orchard House step-down"]
        with pytest.raises(CommandError, match="different days"):
            export(tmp_path, "beds", "--to", "2020-05-02", "--as-of", "2020-05-03")

    def test_placements_as_they_stood_never_the_hash(self, tmp_path, beds):
        rows = export(tmp_path, "placements", "--as-of", "2020-04-05")
        assert [(r["Person reference"], r["Discharged"], r["Nights"]) for r in rows] == [
            ("CH-0001", "", "4"), ("CH-0002", "", "4")]
        after = export(tmp_path, "placements", "--as-of", "2020-04-10")
        assert [(r["Person reference"], r["Discharged"], r["Destination"]) for r in after] == [
            ("CH-0001", "", ""), ("CH-0002", "2020-04-08", "Home with care")]
        text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
        hashed = beds["step_down"].placements.get(person_reference="CH-0001").nhs_number_hash
        assert hashed and hashed not in text
        assert "hash" not in text.lower() and "9434765919" not in text
        assert export(tmp_path, "placements", "--as-of", "2020-03-31") == []

    def test_placements_as_json_have_machine_keys(self, tmp_path, beds):
        out = tmp_path / "out.json"
        call_command("export", "placements", "--as-of", "2020-04-20", "--format", "json",
                     "--authority", "E10000003", "--output", str(out), stderr=io.StringIO())
        data = json.loads(out.read_text())
        rows = data if isinstance(data, list) else next(iter(data.values()))
        assert rows[0]["person_reference"] == "CH-0001" and rows[0]["overstaying"] == "Yes"


@pytest.mark.django_db
class TestSummary:
    def run(self, *args) -> dict:
        out = io.StringIO()
        call_command("summary", "beds", *args, "--format", "json", stdout=out)
        return json.loads(out.getvalue())

    def test_the_json_is_the_selectors_summary(self, beds):
        found = self.run("--as-of", "2020-04-20")
        assert found == json.loads(json.dumps(selectors.summary(
            user=OPERATOR, as_of=dt.date(2020, 4, 20)), default=str))
        assert {"commissioned", "occupied", "free", "by_kind", "overstays"} <= set(found)
        assert (found["commissioned"], found["occupied"], found["free"]) == (8, 1, 7)
        assert found["overstays"] == 1

    def test_one_authority(self, beds):
        found = self.run("--as-of", "2020-04-05", "--authority", "E10000003")
        assert found["authority"] == "E10000003"
        assert (found["commissioned"], found["occupied"], found["free"]) == (3, 2, 1)
        assert found["by_kind"]["step_down"]["schemes"] == 1

    def test_an_unknown_authority_is_refused_naming_it(self, beds):
        with pytest.raises(CommandError, match="E99999999"):
            self.run("--as-of", "2020-04-05", "--authority", "E99999999")

    def test_text_says_the_figures(self, beds):
        out = io.StringIO()
        call_command("summary", "beds", "--as-of", "2020-04-05", stdout=out)
        assert "3 commissioned" not in out.getvalue()  # every authority: 8
        assert "8 commissioned, 2 occupied, 6 free" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "ods", "json"])
def test_every_format_is_written(tmp_path, beds, fmt):
    for what in ("beds", "placements"):
        out = tmp_path / f"{what}.{fmt}"
        call_command("export", what, "--as-of", "2020-04-20", "--format", fmt,
                     "--output", str(out), stderr=io.StringIO())
        assert out.stat().st_size > 100
