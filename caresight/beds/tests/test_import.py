"""Importing bed lists and placements (CSV and XLSX): labels or codes, all or nothing, row
errors naming the column, idempotent, audited, and another council's rows left alone."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from caresight.accounts.models import Organisation, Role
from caresight.core.imports import importers, run_import
from caresight.core.tenancy import OPERATOR
from caresight.registry.tests.factories import LocationFactory

from ..models import BedScheme, Placement
from ..pseudonyms import nhs_number_hash
from . import factories
from .factories import VALID_NHS_NUMBER

SCHEME_HEADER = ["Scheme", "Kind", "CQC location ID", "Beds", "From", "To", "Client groups",
                 "Longest stay (days)", "Funding source", "Weekly rate", "Commissioned by",
                 "CQC assured"]
PLACEMENT_HEADER = ["Scheme", "Bed", "Person reference", "NHS number", "From",
                    "Hospital trust", "Hospital site", "Admitted", "Expected discharge",
                    "Discharged", "Destination", "COVID-19 status", "Pathway", "Funding source"]
CCG = "Cambridgeshire and Peterborough CCG"


def csv_file(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_file(header, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def imported(kind, data, *, user=OPERATOR, name="beds.csv", dry_run=False):
    return run_import(kind, data=data, file_name=name, user=user, dry_run=dry_run)


def errors_of(result) -> list[tuple[int, str]]:
    return [(e.row, e.field) for e in result.errors]


@pytest.fixture
def homes(cambs, devon):
    factories.organisation(CCG)
    return {"orchard": LocationFactory(authority=cambs, cqc_location_id="1-100000001",
                                       name="Orchard House"),
            "fen": LocationFactory(authority=cambs, cqc_location_id="1-100000002",
                                   name="Fen View"),
            "dartmoor": LocationFactory(authority=devon, cqc_location_id="1-100000003",
                                        name="Dartmoor House")}


SCHEMES = [
    ["Orchard House step-down", "Step-down / quarantine", "1-100000001", "4", "2020-04-01", "",
     "Older people; Dementia", "", "NHS discharge funding", "£700.00", CCG, ""],
    ["Fen View designated", "designated_setting", "1-100000002", "10", "01/04/2020",
     "30/09/2020", "OP", "14", "nhs_discharge", "1,050.50", CCG, "2020-04-06"],
]


@pytest.mark.django_db
class TestSchemeImport:
    def test_both_imports_are_registered(self):
        assert {"bed-schemes", "placements"} <= set(importers())

    def test_a_csv_sets_up_schemes_and_again_changes_nothing(self, homes):
        data = csv_file(SCHEME_HEADER, SCHEMES)
        preview = imported("bed-schemes", data, dry_run=True)
        assert preview.ok, preview.errors
        assert preview.counts["created"] == 2 and not BedScheme.objects.exists()
        result = imported("bed-schemes", data)
        assert result.ok and result.counts["created"] == 2
        step_down = BedScheme.objects.get(name="Orchard House step-down")
        assert step_down.kind == "step_down" and step_down.max_stay_days == 14
        assert step_down.weekly_rate == Decimal("700.00")
        assert step_down.client_groups == ["older_people", "dementia"]
        assert step_down.capacities.get().beds == 4
        assert step_down.history.count() == 1  # audited by the service
        designated = BedScheme.objects.get(name="Fen View designated")
        assert designated.cqc_assured_on == dt.date(2020, 4, 6)
        assert designated.ends_on == dt.date(2020, 9, 30)
        assert designated.weekly_rate == Decimal("1050.50")
        again = imported("bed-schemes", data)
        assert again.ok and again.counts["unchanged"] == 2 and not again.would_change
        assert BedScheme.objects.count() == 2 and step_down.history.count() == 1

    def test_a_changed_row_changes_the_scheme_and_its_beds(self, homes):
        imported("bed-schemes", csv_file(SCHEME_HEADER, SCHEMES))
        changed = [list(SCHEMES[0]), SCHEMES[1]]
        changed[0][3], changed[0][9] = "6", "725"
        result = imported("bed-schemes", csv_file(SCHEME_HEADER, changed))
        assert result.ok, result.errors
        assert (result.counts["updated"], result.counts["unchanged"]) == (1, 1)
        scheme = BedScheme.objects.get(name="Orchard House step-down")
        assert scheme.weekly_rate == Decimal("725.00")
        assert scheme.capacities.get().beds == 6

    def test_xlsx_with_real_dates_and_numbers(self, homes):
        rows = [["Orchard House step-down", "Step-down / quarantine", "1-100000001", 4,
                 dt.datetime(2020, 4, 1), None, "Older people", None, "NHS discharge funding",
                 700.5, CCG, None]]
        result = imported("bed-schemes", xlsx_file(SCHEME_HEADER, rows), name="beds.xlsx")
        assert result.ok, result.errors
        scheme = BedScheme.objects.get()
        assert scheme.starts_on == dt.date(2020, 4, 1) and scheme.weekly_rate == Decimal(
            "700.50")

    def test_bad_rows_are_named_and_nothing_is_written(self, homes):
        rows = [
            SCHEMES[0],
            ["Negative", "Block contract", "1-100000002", "5", "2020-04-01", "", "", "",
             "Council", "-10", CCG, ""],
            ["Backwards", "Spot purchase", "1-100000002", "5", "2020-04-01", "2020-03-01", "",
             "", "Council", "500", CCG, ""],
            ["Unknown kind", "Hotel", "1-100000002", "5", "2020-04-01", "", "", "", "Council",
             "500", CCG, ""],
            ["Nobody", "Block", "1-999999999", "5", "2020-04-01", "", "", "", "Council", "500",
             "Nobody Council", ""],
            ["Assured step-down", "Step-down", "1-100000002", "5", "2020-04-01", "", "", "",
             "Council", "500", CCG, "2020-04-02"],
            ["Orchard House step-down", "Step-down", "1-100000001", "4", "2020-04-01", "", "",
             "", "Council", "500", CCG, ""],
        ]
        result = imported("bed-schemes", csv_file(SCHEME_HEADER, rows))
        assert not result.ok
        assert errors_of(result) == [(3, "Weekly rate"), (4, "To"), (5, "Kind"),
                                     (6, "CQC location ID"), (7, "CQC assured"),
                                     (8, "Scheme")]
        assert "negative" in result.errors[0].message
        assert not BedScheme.objects.exists()

    def test_another_councils_rows_are_left_alone(self, homes, cambs, make_user):
        rows = [*SCHEMES, ["Dartmoor beds", "Block contract", "1-100000003", "20", "2020-04-01",
                           "", "", "", "Council", "600", CCG, ""]]
        user = make_user(Role.COMMISSIONER, cambs)
        result = imported("bed-schemes", csv_file(SCHEME_HEADER, rows), user=user)
        assert result.ok, result.errors
        assert (result.counts["created"], result.counts["outside"]) == (2, 1)
        assert not BedScheme.objects.filter(name="Dartmoor beds").exists()
        assert BedScheme.objects.filter(authority=cambs).count() == 2
        # …and naming the other council outright does not reach it either
        named = [["Orchard for Devon", "Block contract", "1-100000001", "2", "2020-04-01", "",
                  "", "", "Council", "600", CCG, "", "E10000008"]]
        result = imported("bed-schemes", csv_file([*SCHEME_HEADER, "Authority code"], named),
                          user=user)
        assert result.counts["outside"] == 1 and not result.would_change

    def test_brokerage_may_not_import_schemes(self, homes, cambs, make_user):
        result = imported("bed-schemes", csv_file(SCHEME_HEADER, SCHEMES),
                          user=make_user(Role.BROKERAGE, cambs))
        assert result.counts["outside"] == 2 and not BedScheme.objects.exists()


def placement_row(ref="CH-0001", *, scheme="Orchard House step-down", bed="", nhs="",
                  admitted="2020-04-02", expected="", discharged="", destination="",
                  covid="Tested negative", pathway="Pathway 2 (short-term bed)", funding=""):
    return [scheme, bed, ref, nhs, "Hospital", "Cambridge University Hospitals",
            "Addenbrooke's", admitted, expected, discharged, destination, covid, pathway,
            funding]


@pytest.fixture
def schemes(cambs, devon, homes):
    return {"step_down": factories.scheme(cambs, location=homes["orchard"], beds=2),
            "designated": factories.scheme(cambs, name="Fen View designated",
                                           kind="designated_setting", location=homes["fen"],
                                           beds=2, cqc_assured_on=dt.date(2020, 4, 6)),
            "theirs": factories.scheme(devon, name="Dartmoor beds",
                                       location=homes["dartmoor"], beds=5)}


@pytest.mark.django_db
class TestPlacementImport:
    def test_placements_are_imported_with_the_nhs_number_hashed_and_again_nothing(
            self, schemes):
        rows = [placement_row("CH-0001", bed="1", nhs=VALID_NHS_NUMBER),
                placement_row("CH-0002", discharged="2020-04-09", destination="Home with care",
                              covid="positive", pathway="2", funding="Council"),
                placement_row("CH-0003", scheme="Fen View designated", admitted="2020-04-06",
                              covid="COVID-19 positive")]
        data = csv_file(PLACEMENT_HEADER, rows)
        result = imported("placements", data)
        assert result.ok, result.errors
        assert result.counts["created"] == 3
        first = Placement.objects.get(person_reference="CH-0001")
        assert first.nhs_number_hash == nhs_number_hash(VALID_NHS_NUMBER)
        assert first.bed_number == 1 and first.funding_source == "nhs_discharge"
        second = Placement.objects.get(person_reference="CH-0002")
        assert (second.bed_number, second.destination, second.funding_source) == (
            2, "home_with_care", "council")
        assert second.history.count() == 1
        reason = second.history.get().history_change_reason
        assert reason.startswith("Placed (") and "import" in reason.lower()  # which import
        again = imported("placements", data)
        assert again.ok and again.counts["unchanged"] == 3 and not again.would_change
        assert Placement.objects.count() == 3

    def test_a_discharge_added_later_updates_the_placement(self, schemes):
        imported("placements", csv_file(PLACEMENT_HEADER, [placement_row()]))
        result = imported("placements", csv_file(PLACEMENT_HEADER, [placement_row(
            discharged="2020-04-12", destination="care_home")]))
        assert result.ok and result.counts["updated"] == 1
        assert Placement.objects.get().discharged_on == dt.date(2020, 4, 12)
        # a later file without the discharge does not erase it
        kept = imported("placements", csv_file(PLACEMENT_HEADER, [placement_row()]))
        assert kept.counts["unchanged"] == 1
        assert Placement.objects.get().discharged_on == dt.date(2020, 4, 12)

    def test_xlsx_placements(self, schemes):
        rows = [["Orchard House step-down", 2, "CH-0101", "", "Hospital", "NWAFT",
                 "Hinchingbrooke", dt.datetime(2020, 4, 3), dt.datetime(2020, 4, 17), None,
                 None, "Awaiting result", "Pathway 2 (short-term bed)", "NHS discharge funding"]]
        result = imported("placements", xlsx_file(PLACEMENT_HEADER, rows), name="p.xlsx")
        assert result.ok, result.errors
        placement = Placement.objects.get()
        assert (placement.bed_number, placement.admitted_on, placement.expected_discharge_on) == (
            2, dt.date(2020, 4, 3), dt.date(2020, 4, 17))

    @pytest.mark.parametrize("rows, expected", [
        # two people in one bed on the same day
        ([placement_row("CH-0001", bed="1"), placement_row("CH-0002", bed="1",
                                                           admitted="2020-04-05")],
         [(3, "Bed")]),
        # more people than beds
        ([placement_row("CH-0001"), placement_row("CH-0002"), placement_row("CH-0003")],
         [(4, "Admitted")]),
        # a discharge before the admission
        ([placement_row(discharged="2020-04-01", destination="Died")], [(2, "Discharged")]),
        # outside the scheme's dates
        ([placement_row(admitted="2020-03-20")], [(2, "Admitted")]),
        # before a designated setting's assurance
        ([placement_row(scheme="Fen View designated", admitted="2020-04-05")],
         [(2, "Admitted")]),
        # a malformed NHS number
        ([placement_row(nhs="943 476 5918")], [(2, "NHS number")]),
        # bad choices and a scheme that is not there
        ([placement_row(covid="Maybe"), placement_row("CH-0002", scheme="Nowhere")],
         [(2, "COVID-19 status"), (3, "Scheme")]),
        # a name, not a reference
        ([placement_row("John Smith")], [(2, "Person reference")]),
        # the same placement twice
        ([placement_row(), placement_row()], [(3, "Person reference")]),
    ])
    def test_refusals_are_row_errors_and_nothing_is_written(self, schemes, rows, expected):
        result = imported("placements", csv_file(PLACEMENT_HEADER, rows))
        assert not result.ok
        assert errors_of(result) == expected, result.errors
        assert not Placement.objects.exists()

    def test_a_refusal_anywhere_writes_nothing_at_all(self, schemes):
        rows = [placement_row("CH-0001"), placement_row("CH-0002", nhs="123")]
        result = imported("placements", csv_file(PLACEMENT_HEADER, rows))
        assert errors_of(result) == [(3, "NHS number")]
        assert not Placement.objects.exists()

    def test_another_councils_scheme_is_refused_or_left_alone(self, schemes, cambs,
                                                              make_user):
        user = make_user(Role.BROKERAGE, cambs)
        unseen = imported("placements", csv_file(PLACEMENT_HEADER, [
            placement_row(scheme="Dartmoor beds")]), user=user)
        assert errors_of(unseen) == [(2, "Scheme")]
        assert "no bed scheme called 'Dartmoor beds'" in unseen.errors[0].message
        named = imported("placements", csv_file([*PLACEMENT_HEADER, "Authority code"], [
            [*placement_row(scheme="Dartmoor beds"), "E10000008"],
            [*placement_row("CH-0002"), "E10000003"]]), user=user)
        assert named.ok, named.errors
        assert (named.counts["outside"], named.counts["created"]) == (1, 1)
        assert not Placement.objects.filter(scheme=schemes["theirs"]).exists()

    def test_a_partner_imports_only_into_the_beds_it_funds(self, schemes, cambs, make_user):
        partner = make_user(Role.PARTNER, cambs)
        funded = factories.scheme(cambs, name="CCG beds", commissioned_by=Organisation.objects.get(
            name="partner org"))
        result = imported("placements", csv_file(PLACEMENT_HEADER, [
            placement_row(scheme="CCG beds"), placement_row("CH-0002")]), user=partner)
        assert errors_of(result) == [(3, "Scheme")]
        ok = imported("placements", csv_file(PLACEMENT_HEADER, [
            placement_row(scheme="CCG beds")]), user=partner)
        assert ok.ok and funded.placements.count() == 1

    def test_a_scheme_name_two_councils_share_needs_the_authority_code(self, schemes, devon):
        factories.scheme(devon, name="Orchard House step-down")
        both = imported("placements", csv_file(PLACEMENT_HEADER, [placement_row()]))
        assert errors_of(both) == [(2, "Scheme")]
        assert "Authority code" in both.errors[0].message
        named = imported("placements", csv_file([*PLACEMENT_HEADER, "Authority code"], [
            [*placement_row(), "Cambridgeshire"]]))
        assert named.ok, named.errors
        assert Placement.objects.get().scheme == schemes["step_down"]


@pytest.mark.django_db
class TestJobsAndCommand:
    def test_a_previewed_upload_is_confirmed_and_written(self, homes, cambs, make_user,
                                                         django_capture_on_commit_callbacks):
        from caresight.core.models import Job
        from caresight.core.services import import_job_confirm, import_job_create

        user = make_user(Role.COMMISSIONER, cambs)
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(kind="bed-schemes", file_name="beds.csv",
                                    data=csv_file(SCHEME_HEADER, SCHEMES), user=user)
        job.refresh_from_db()
        assert job.status == Job.Status.PREVIEWED, job.result
        assert not BedScheme.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            import_job_confirm(job=job, user=user)
        job.refresh_from_db()
        assert job.status == Job.Status.DONE, job.result
        assert BedScheme.objects.count() == 2

    def test_the_import_command(self, homes, tmp_path):
        from django.core.management import call_command
        from django.core.management.base import CommandError

        path = tmp_path / "beds.csv"
        path.write_bytes(csv_file(SCHEME_HEADER, SCHEMES))
        out = io.StringIO()
        call_command("import", "bed-schemes", str(path), "--no-progress", stdout=out,
                     stderr=io.StringIO())
        assert "2 schemes set up" in out.getvalue()
        bad = tmp_path / "placements.csv"
        bad.write_bytes(csv_file(PLACEMENT_HEADER, [placement_row(nhs="12345")]))
        err = io.StringIO()
        with pytest.raises(CommandError, match="nothing was imported"):
            call_command("import", "placements", str(bad), "--no-progress",
                         stdout=io.StringIO(), stderr=err)
        assert "Row 2, NHS number" in err.getvalue()
