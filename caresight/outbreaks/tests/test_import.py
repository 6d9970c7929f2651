"""Importing public health line lists: loose headers, opening and updating, all or nothing."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from caresight.accounts.models import Role
from caresight.core.imports import run_import
from caresight.core.tenancy import OPERATOR
from caresight.outbreaks.models import Outbreak, Update
from caresight.registry.tests.factories import LocationFactory


def line_list(rows, header="cqc_location_id,date,suspected_or_confirmed,new_cases_residents,"
              "new_cases_staff,deaths") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def run(data, user=OPERATOR, dry_run=False, name="list.csv"):
    return run_import("outbreaks", data=data, file_name=name, user=user, dry_run=dry_run)


@pytest.fixture
def homes(cambs, devon):
    return {"a": LocationFactory(authority=cambs, cqc_location_id="1-111111111"),
            "b": LocationFactory(authority=cambs, cqc_location_id="1-222222222"),
            "devon": LocationFactory(authority=devon, cqc_location_id="1-333333333")}


ROWS = ["1-111111111,2020-06-01,suspected,2,0,0",
        "1-111111111,2020-06-05,confirmed,1,1,1",
        "1-222222222,04/06/2020,Confirmed,0,3,0",
        "1-111111111,2020-07-20,confirmed,1,0,0"]


@pytest.mark.django_db
class TestLineListImport:
    def test_rows_open_outbreaks_update_them_and_open_new_ones_after_closure(self, homes):
        result = run(line_list(ROWS))
        assert result.ok, result.errors
        assert result.counts["outbreaks_opened"] == 3 and result.counts["updates_added"] == 1
        first, second = Outbreak.objects.filter(location=homes["a"]).order_by("reported_on")
        assert first.kind == "confirmed" and first.closed_on == dt.date(2020, 7, 3)
        assert [u.deaths for u in first.updates.all()] == [0, 1]
        assert second.reported_on == dt.date(2020, 7, 20)
        assert Outbreak.objects.get(location=homes["b"]).reported_on == dt.date(2020, 6, 4)
        assert Update.objects.filter(source="import").count() == 4

    def test_importing_the_same_file_twice_writes_nothing_the_second_time(self, homes):
        run(line_list(ROWS))
        stamp = list(Update.objects.values_list("pk", "recorded_at"))
        again = run(line_list(ROWS))
        assert again.ok and again.counts["unchanged"] == 4
        assert again.counts["outbreaks_opened"] == 0
        assert list(Update.objects.values_list("pk", "recorded_at")) == stamp

    def test_a_row_without_new_cases_after_closure_opens_nothing(self, homes):
        result = run(line_list(["1-111111111,2020-06-01,confirmed,3,0,0",
                                "1-111111111,2020-06-29,confirmed,0,0,0"]))
        assert result.counts["after_closure"] == 1
        assert Outbreak.objects.count() == 1
        assert "1 no new cases after an outbreak closed" in result.summary()

    def test_a_corrected_row_corrects_that_days_update(self, homes):
        run(line_list(ROWS))
        fixed = run(line_list([ROWS[0].replace(",2,0,0", ",4,0,0")]))
        assert fixed.counts["updates_corrected"] == 1
        assert Update.objects.get(on=dt.date(2020, 6, 1)).new_cases_residents == 4

    def test_headers_are_matched_loosely_and_xlsx_is_read(self, homes):
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["CQC Location ID", "Date of update", "Case status", "New resident cases",
                      "New staff cases", "New deaths"])
        sheet.append(["1-111111111", dt.datetime(2020, 6, 1), "Suspected", 1, 0, None])
        buffer = io.BytesIO()
        book.save(buffer)
        result = run(buffer.getvalue(), name="list.xlsx")
        assert result.ok, result.errors
        assert Outbreak.objects.get().updates.get().new_cases_residents == 1

    def test_bad_rows_are_all_listed_and_nothing_is_written(self, homes):
        result = run(line_list([
            "1-111111111,2020-06-01,suspected,2,0,0",
            "1-111111111,2099-06-01,suspected,2,0,0",
            "1-999999999,2020-06-01,suspected,2,0,0",
            "1-222222222,2020-06-31,maybe,-1,x,0",
            "1-111111111,2020-06-01,confirmed,0,0,0",
        ]))
        messages = [str(e) for e in result.errors]
        assert not result.ok and not Outbreak.objects.exists()
        assert "Row 3, date: 1 June 2099 is in the future" in messages
        assert ("Row 4, cqc_location_id: '1-999999999' is not the CQC location ID of any "
                "service on the register") in messages
        assert "Row 5, date: '2020-06-31' is not a date like 2020-06-04 or 04/06/2020" in messages
        assert "Row 5, suspected_or_confirmed: 'maybe' is neither suspected nor confirmed" \
            in messages
        assert "Row 5, new_cases_residents: '-1' is not a whole number, 0 or more" in messages
        assert "Row 6, date: 1-111111111 on 1 June 2020 is also in row 2" in messages

    def test_a_row_before_the_outbreak_opened_is_refused(self, homes):
        run(line_list([ROWS[1]]))
        result = run(line_list(["1-111111111,2020-06-01,suspected,0,0,0"]))
        assert [str(e) for e in result.errors] == [
            "Row 2, date: 1 June 2020 is before the outbreak at "
            f"{homes['a'].name} was reported (5 June 2020), and no outbreak was open there "
            "that day"]

    def test_a_missing_column_is_named(self, homes):
        result = run(line_list(["1-111111111,2020-06-01"], header="cqc_location_id,date"))
        assert "Required columns are missing: suspected_or_confirmed" in result.file_error

    def test_a_councils_upload_leaves_other_councils_services_alone(self, homes, cambs,
                                                                    make_user):
        officer = make_user(Role.PUBLIC_HEALTH, cambs)
        result = run(line_list([ROWS[0], "1-333333333,2020-06-01,suspected,1,0,0"]),
                     user=officer)
        assert result.ok and result.counts["outside"] == 1
        assert not Outbreak.objects.filter(location=homes["devon"]).exists()

    def test_the_command_checks_then_imports(self, homes, tmp_path):
        path = tmp_path / "list.csv"
        path.write_bytes(line_list(ROWS))
        out = io.StringIO()
        call_command("import", "outbreaks", str(path), "--dry-run", "--no-progress", stdout=out)
        assert "Nothing has been written yet" in out.getvalue()
        assert not Outbreak.objects.exists()
        call_command("import", "outbreaks", str(path), "--no-progress", stdout=out)
        assert Outbreak.objects.count() == 3
        path.write_bytes(line_list(["1-111111111,2020-06-01,suspected,-2,0,0"]))
        with pytest.raises(CommandError, match="1 problem found in 1 row"):
            call_command("import", "outbreaks", str(path), "--no-progress", stdout=out)
