"""The command line: summary returns as JSON, export returns, import returns."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from caresight.returns.tests.test_import import care_home_row, to_csv
from caresight.returns.tests.test_summary import DAY, WEEK_BEFORE, area  # noqa: F401 (fixture)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestSummaryCommand:
    def test_json_has_the_promised_keys(self, area):  # noqa: F811
        summary = json.loads(run("summary", "returns", "--as-of", DAY.isoformat(), "--previous",
                                 WEEK_BEFORE.isoformat(), "--authority", "E10000003",
                                 "--format", "json"))
        assert summary["locations"] == 4 and summary["reported"] == 3
        assert summary["not_reported"] == [area["late"].cqc_location_id]
        assert summary["completion_rate"] == 75.0
        assert {"registered", "occupied", "vacant"} <= set(summary["beds"])
        first = summary["measures"][0]
        assert set(first) >= {"code", "label", "current_pct", "previous_pct"}
        assert first["previous_pct"] == 100.0

    def test_without_an_authority_it_covers_every_service(self, area):  # noqa: F811
        summary = json.loads(run("summary", "returns", "--as-of", DAY.isoformat(),
                                 "--format", "json"))
        assert summary["locations"] == 5 and summary["measures"][0]["previous_pct"] is None

    def test_an_unknown_authority_or_bad_date_is_refused(self, area):  # noqa: F811
        with pytest.raises(CommandError, match="Unknown authority code"):
            run("summary", "returns", "--as-of", DAY.isoformat(), "--authority", "E99999999")
        with pytest.raises(CommandError, match="not a date"):
            run("summary", "returns", "--as-of", "4 June")


@pytest.mark.django_db
class TestExportReturns:
    def test_every_answer_of_every_return_in_the_dates(self, area, tmp_path):  # noqa: F811
        path = tmp_path / "returns.csv"
        call_command("export", "returns", "--from", DAY.isoformat(), "--authority", "E10000003",
                     "--output", str(path))
        from caresight.core.models import DownloadRecord
        from caresight.returns.models import Measure

        label = dict(Measure.objects.values_list("code", "label"))
        rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
        assert sorted(r["Service"] for r in rows) == ["Ash House", "Cedar House"]
        assert rows[0][label["beds_occupied"]] == "35"
        assert rows[0]["Authority code"] == "E10000003"
        assert label["ipc_mutual_aid"] in rows[0] and label["people_supported"] in rows[0]
        assert rows[0]["Return for"] == DAY.isoformat()
        assert rows[0]["Entered by"] in {"Provider", "Council officer on the provider's behalf",
                                         "Capacity Tracker import"}  # a label, not a code
        logged = DownloadRecord.objects.get()
        assert (logged.user, logged.what, logged.rows) == (None, "Returns", 2)
        assert logged.filters == f"--authority E10000003 --from {DAY.isoformat()}"

    def test_the_register_export_still_works(self, area, tmp_path):  # noqa: F811
        path = tmp_path / "locations.json"
        call_command("export", "locations", "--format", "json", "--output", str(path))
        assert len(json.loads(path.read_text())) == 5


@pytest.mark.django_db
def test_import_returns_from_the_command_line(tmp_path, cambs):
    from caresight.registry.tests.factories import LocationFactory
    from caresight.returns.models import Return

    home = LocationFactory(authority=cambs)
    path = tmp_path / "tracker.csv"
    path.write_bytes(to_csv([care_home_row(home.cqc_location_id)]))
    out = run("import", "returns", str(path), "--no-progress")
    assert "1 row imported: 1 created" in out
    assert Return.objects.filter(location=home).count() == 1
    path.write_bytes(to_csv([care_home_row("1-000000000")]))
    with pytest.raises(CommandError, match="1 problem found"):
        run("import", "returns", str(path), "--no-progress")
