"""The Capacity Tracker import: real column names, all or nothing, idempotent, scoped."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from caresight.accounts.models import Role
from caresight.core.imports import run_import
from caresight.core.tenancy import OPERATOR
from caresight.registry.models import ServiceType
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.models import Return
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers

CARE_HOME_COLUMNS = [
    "cqcid", "location", "odscode", "localauthority", "region", "maxcapacity", "usedbeds",
    "declaredvacancies", "isacceptingadmissions", "admissionstatus", "covid19count",
    "covidresidentstotal", "nursesemployed", "careworkersemployed", "noncareworkersemployed",
    "agencynursesemployed", "agencycareworkersemployed", "agencynoncareworkersemployed",
    "nursesabsentcovid", "careworkersabsentcovid", "noncareworkersabsentcovid",
    "nursesabsentgeneral", "careworkersabsentgeneral", "noncareworkersabsentgeneral", "hourspaid",
    "hoursovertime", "hoursagency", "hoursabsence", "daysabsence", "lastupdatedutc",
    "overallstatus", "workforcestatus",
]
COMMUNITY_COLUMNS = [
    "cqcid", "location", "laname", "serviceusercount", "usersnhsla", "usersselffunded",
    "cqccareworkersemployed", "cqccareworkersabsent", "covid19count", "covid19suspectedcount",
    "ppeaprons", "ppeeyes", "ppegloves", "ppemasks", "ppesanitiser", "hascqcppeissues",
    "received_flu_vaccination", "hourspaiddomcare", "hoursagencydomcare", "hoursabsencedomcare",
    "cqcsurveylastupdatedutc",
]


def care_home_row(cqc_id: str, **changes) -> dict:
    row = {
        "cqcid": cqc_id, "location": "A home", "odscode": "VLX01", "localauthority": "Cambs",
        "region": "East of England", "maxcapacity": "40", "usedbeds": "35",
        "declaredvacancies": "5", "isacceptingadmissions": "Yes", "admissionstatus": "Open",
        "covid19count": "2", "covidresidentstotal": "9", "nursesemployed": "8",
        "careworkersemployed": "30", "noncareworkersemployed": "10",
        "agencynursesemployed": "1", "agencycareworkersemployed": "2",
        "agencynoncareworkersemployed": "0", "nursesabsentcovid": "1",
        "careworkersabsentcovid": "3", "noncareworkersabsentcovid": "0",
        "nursesabsentgeneral": "0", "careworkersabsentgeneral": "1",
        "noncareworkersabsentgeneral": "1", "hourspaid": "1500.5", "hoursovertime": "20",
        "hoursagency": "40", "hoursabsence": "12", "daysabsence": "3",
        "lastupdatedutc": "2020-06-04T09:15:00Z", "overallstatus": "GREEN",
        "workforcestatus": "AMBER",
    }
    row.update(changes)
    return row


def to_csv(rows: list[dict], columns=CARE_HOME_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def do_import(data: bytes, *, user=OPERATOR, dry_run=False, name="tracker.csv"):
    return run_import("returns", data=data, file_name=name, user=user, dry_run=dry_run)


@pytest.fixture
def homes(cambs):
    return [LocationFactory(authority=cambs, cqc_location_id=f"1-10000000{i}") for i in range(3)]


@pytest.mark.django_db
class TestCapacityTrackerImport:
    def test_a_care_home_export_becomes_one_return_per_home_per_day(self, homes):
        result = do_import(to_csv([care_home_row(h.cqc_location_id) for h in homes]))
        assert result.ok, result.as_dict()
        assert result.counts["created"] == 3
        ret = Return.objects.get(location=homes[0])
        assert str(ret.for_date) == "2020-06-04"
        assert ret.source == Return.Source.IMPORT
        assert ret.values["beds_occupied"] == 35 and ret.values["admissions_open"] is True
        assert ret.values["hours_paid"] == "1500.5"
        assert "ipc_isolate_residents" not in ret.values  # not in the export: unanswered
        assert ret.history.count() == 1

    def test_importing_the_same_file_again_changes_nothing(self, homes):
        data = to_csv([care_home_row(h.cqc_location_id) for h in homes])
        do_import(data)
        again = do_import(data)
        assert again.counts == {"created": 0, "updated": 0, "unchanged": 3,
                                "outside": 0}
        assert Return.objects.get(location=homes[0]).history.count() == 1

    def test_a_changed_figure_the_same_day_is_a_new_version(self, homes):
        do_import(to_csv([care_home_row(homes[0].cqc_location_id)]))
        result = do_import(to_csv([care_home_row(homes[0].cqc_location_id, usedbeds="36",
                                                 declaredvacancies="4")]))
        assert result.counts["updated"] == 1
        ret = Return.objects.get(location=homes[0])
        assert ret.version == 2 and ret.values["beds_occupied"] == 36
        assert ret.history.count() == 2

    def test_answers_given_in_caresight_survive_an_import_of_the_same_day(self, homes):
        return_submit(location=homes[0], for_date=dt.date(2020, 6, 4),
                      answers=care_home_answers(), user=OPERATOR)
        result = do_import(to_csv([care_home_row(homes[0].cqc_location_id, usedbeds="34")]))
        assert result.ok, result.as_dict()
        ret = Return.objects.get(location=homes[0])
        assert ret.values["beds_occupied"] == 34 and ret.version == 2
        assert ret.values["ipc_isolate_residents"] is True

    def test_bad_rows_are_all_reported_and_nothing_is_written(self, homes):
        rows = [
            care_home_row(homes[0].cqc_location_id),
            care_home_row("1-999999999"),
            care_home_row(homes[1].cqc_location_id, usedbeds="50"),
            care_home_row(homes[2].cqc_location_id, nursesemployed="lots"),
            care_home_row(homes[2].cqc_location_id, lastupdatedutc="2099-01-01T10:00:00Z"),
            care_home_row(homes[0].cqc_location_id, lastupdatedutc="yesterday"),
        ]
        result = do_import(to_csv(rows))
        assert not result.ok
        messages = {(e.row, e.field): e.message for e in result.errors}
        assert "is not the CQC location ID of any service" in messages[(3, "cqcid")]
        assert "cannot be more than maxcapacity (40)" in messages[(4, "usedbeds")]
        assert messages[(5, "nursesemployed")] == "nursesemployed: Enter a number"
        assert "is in the future" in messages[(6, "lastupdatedutc")]
        assert "is not a date and time" in messages[(7, "lastupdatedutc")]
        assert not Return.objects.exists()

    def test_a_file_whose_columns_match_no_mapping_is_refused_by_name(self, homes):
        result = do_import(b"cqcid,beds,date\n1-100000000,4,2020-06-04\n")
        assert not result.ok
        assert "match neither Capacity Tracker export" in result.file_error
        assert "received_flu_vaccination" in result.file_error  # as the tracker spells it

    def test_a_home_care_service_in_the_care_home_export_is_an_error(self, cambs):
        agency = LocationFactory(authority=cambs, service_type=ServiceType.DOMICILIARY,
                                 registered_beds=None)
        result = do_import(to_csv([care_home_row(agency.cqc_location_id)]))
        assert "is not one of the services this export is for" in result.errors[0].message

    def test_the_community_export_fills_the_home_care_return_from_xlsx(self, cambs):
        agency = LocationFactory(authority=cambs, service_type=ServiceType.DOMICILIARY,
                                 registered_beds=None)
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(COMMUNITY_COLUMNS)
        sheet.append([agency.cqc_location_id, "Agency", "Cambridgeshire", 120, 80, 40, 60, 4, 1,
                      2, 10, 10, 10, 3, 10, "No", 30, 2000, 100, 50,
                      "2020-11-02T23:30:00Z"])
        data = io.BytesIO()
        book.save(data)
        result = do_import(data.getvalue(), name="community.xlsx")
        assert result.ok, result.as_dict()
        ret = Return.objects.get(location=agency)
        # 23:30 UTC on 2 November is still 2 November in London (GMT); values as in the file
        assert str(ret.for_date) == "2020-11-02"
        assert ret.values["people_supported"] == 120 and ret.values["ppe_days_masks"] == 3
        assert ret.values["ppe_cqc_issues"] is False

    def test_a_council_import_leaves_other_councils_services_alone(self, homes, devon,
                                                                    make_user, cambs):
        elsewhere = LocationFactory(authority=devon)
        officer = make_user(Role.COMMISSIONER, cambs)
        result = do_import(to_csv([care_home_row(homes[0].cqc_location_id),
                                   care_home_row(elsewhere.cqc_location_id)]), user=officer)
        assert result.ok
        assert result.counts["created"] == 1
        assert result.counts["outside"] == 1
        assert not Return.objects.filter(location=elsewhere).exists()
        assert Return.objects.get(location=homes[0]).history.first().history_user == officer

    def test_a_dry_run_writes_nothing(self, homes):
        result = do_import(to_csv([care_home_row(homes[0].cqc_location_id)]), dry_run=True)
        assert result.ok and result.counts["created"] == 1
        assert not Return.objects.exists()

    def test_uk_dates_and_summer_time_give_the_uk_day(self):
        from caresight.returns.capacity_tracker import tracker_date

        assert str(tracker_date("2020-06-04T23:30:00Z")) == "2020-06-05"
        assert str(tracker_date("04/06/2020 09:15")) == "2020-06-04"
        assert str(tracker_date("2020-06-04")) == "2020-06-04"
