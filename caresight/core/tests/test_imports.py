"""The one import pipeline: reading with limits, the shared checks, outcomes, preview/confirm."""

import io
import json
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core import files
from caresight.core.files import ImportFileError, Limits, file_date, read_table
from caresight.core.imports import (
    DATA_CHANGED,
    NOTHING_TO_CHANGE,
    OUTSIDE,
    Outcome,
    importers,
    run_import,
)
from caresight.core.models import Job
from caresight.core.services import import_job_confirm, import_job_create, job_run
from caresight.core.tenancy import OPERATOR
from caresight.registry.models import Authority, LocalityArea, Location
from caresight.registry.services import CqcOutcome
from caresight.registry.tests.factories import LocalityFactory, LocationFactory
from caresight.registry.tests.test_cqc_import import REAL_FILE, api_object, jsonl

LIMITS = Limits(file_bytes=50 * 1024 * 1024, uncompressed_bytes=100_000_000, rows=200_000,
                columns=1_000)
SOUTH_WEST = ["E10000008", "E06000066", "E06000026", "E06000027"]  # Devon, Somerset, …


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb_xlsx(expanded_bytes: int) -> bytes:
    """A real XLSX shell whose one sheet is `expanded_bytes` of repetitive XML, deflated."""
    shell = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["cqcid", "name"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in shell.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, shell.read(item))
        row = (b'<row><c t="inlineStr"><is><t>1-100000001</t></is></c>'
               b'<c t="inlineStr"><is><t>Care home</t></is></c></row>')
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://'
                        b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            block = row * 10_000
            written = 0
            while written < expanded_bytes:
                sheet.write(block)
                written += len(block)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


class TestReadingWithLimits:
    def test_a_zip_bomb_xlsx_is_refused_before_its_sheet_is_read(self):
        bomb = zip_bomb_xlsx(150_000_000)
        assert len(bomb) < 2_000_000  # small on disk…
        began = time.perf_counter()
        with pytest.raises(ImportFileError, match=r"expands to 150 MB when opened; the most an "
                           r"import reads is 100 MB"):
            read_table(bomb, limits=LIMITS)
        assert time.perf_counter() - began < 2

    def test_reading_stops_when_the_running_total_passes_the_limit(self):
        data = xlsx_bytes([["cqcid"], *[[f"1-{n:09d}"] for n in range(2_000)]])
        archive = files._CountingArchive(zipfile.ZipFile(io.BytesIO(data)), limit=10_000)
        stream = archive.open("xl/worksheets/sheet1.xml")
        with pytest.raises(ImportFileError, match="expands to more than 10,000 bytes"):
            while stream.read(4096):
                pass

    def test_a_file_with_100000_columns_is_refused_on_its_heading_row(self):
        data = (",".join(f"c{n}" for n in range(100_000)) + "\n1,2\n").encode()
        with pytest.raises(ImportFileError, match="more than 1,000 columns"):
            read_table(data, limits=LIMITS)

    def test_a_spreadsheet_wider_than_the_limit_is_refused(self):
        data = xlsx_bytes([[f"c{n}" for n in range(30)], [1] * 30])
        with pytest.raises(ImportFileError, match="more than 20 columns"):
            read_table(data, limits=Limits(10**8, 10**8, 100, 20))

    @pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "xlsx", "ods"])
    def test_too_many_rows_are_refused_in_every_format(self, fmt):
        rows = [{"cqcid": f"1-{n:09d}", "beds": str(n)} for n in range(12)]
        if fmt == "csv":
            data = ("cqcid,beds\n" + "".join(f"{r['cqcid']},{r['beds']}\n" for r in rows)
                    ).encode()
        elif fmt == "jsonl":
            data = jsonl(*rows)
        elif fmt == "json":
            data = json.dumps(rows).encode()
        elif fmt == "xlsx":
            data = xlsx_bytes([["cqcid", "beds"], *[[r["cqcid"], r["beds"]] for r in rows]])
        else:
            import tablib

            data = tablib.Dataset(*[(r["cqcid"], r["beds"]) for r in rows],
                                  headers=["cqcid", "beds"]).export("ods")
        limits = Limits(10**8, 10**8, rows=10, columns=100)
        with pytest.raises(ImportFileError, match="more than 10 rows"):
            list(read_table(data, limits=limits).rows)

    def test_rows_within_the_limits_are_read_as_text(self):
        import tablib

        ods = tablib.Dataset(("1-000000001", 12, "Fen View"),
                             headers=["cqcid", "beds", "name"]).export("ods")
        table = read_table(ods, limits=LIMITS)
        assert table.format == "ods" and table.headers == ["cqcid", "beds", "name"]
        assert list(table.rows) == [(2, {"cqcid": "1-000000001", "beds": "12",
                                         "name": "Fen View"})]

    def test_an_ods_cell_repeated_a_million_times_is_refused_not_expanded(self):
        import tablib

        ods = tablib.Dataset(("a", "b"), headers=["x", "y"]).export("ods")
        archive = zipfile.ZipFile(io.BytesIO(ods))
        content = archive.read("content.xml").decode()
        content = content.replace("<table:table-cell ", '<table:table-cell '
                                  'table:number-columns-repeated="1000000" ', 1)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as bomb:
            for item in archive.infolist():
                bomb.writestr(item, content if item.filename == "content.xml"
                              else archive.read(item))
        with pytest.raises(ImportFileError, match="more than 1,000 columns"):
            read_table(out.getvalue(), limits=LIMITS)

    def test_headers_are_checked_before_any_row_is_read(self):
        # Row 3 cannot be read at all; a wrong heading row must be refused first.
        data = b"wrong,headings\n1,2\n\"" + b"x" * 200_000 + b"\"\n"
        seen = []

        def check(fmt, headers):
            seen.append(headers)
            raise ImportFileError("These are not the columns of this import.")

        with pytest.raises(ImportFileError, match="not the columns"):
            read_table(data, limits=LIMITS, check_headers=check)
        assert seen == [["wrong", "headings"]]

    def test_a_file_larger_than_the_limit_is_refused_unread(self):
        with pytest.raises(ImportFileError, match="the most an import reads is 1,000 bytes"):
            read_table(b"a,b\n" + b"1,2\n" * 500, limits=Limits(1_000, 10**8, 10, 10))


class TestDates:
    @pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "31/12/9999"])
    def test_dates_out_of_range_are_refused_with_a_message(self, text):
        with pytest.raises(ValueError, match="is not a date Caresight accepts"):
            file_date(text)

    @pytest.mark.parametrize("text, day", [("2020-06-04", "2020-06-04"),
                                           ("2020-06-04T09:15:00", "2020-06-04"),
                                           ("04/06/2020", "2020-06-04"),
                                           ("04.06.2020", "2020-06-04")])
    def test_the_one_date_parser_reads_the_usual_ways_of_writing_a_day(self, text, day):
        assert file_date(text).isoformat() == day

    @pytest.mark.django_db
    def test_an_out_of_range_date_in_a_file_is_a_row_error_and_nothing_is_written(self):
        location = LocationFactory(cqc_location_id="1-111111111")
        data = ("cqc_location_id,date,suspected_or_confirmed,new_cases_residents,"
                f"new_cases_staff,deaths\n{location.cqc_location_id},0001-01-01,confirmed,1,0,0\n"
                f"{location.cqc_location_id},9999-12-31,confirmed,1,0,0\n").encode()
        result = run_import("outbreaks", data=data, file_name="x.csv", user=OPERATOR,
                            dry_run=False)
        assert [str(e) for e in result.errors] == [
            "Row 2, date: '0001-01-01' is not a date Caresight accepts (it must be between "
            "1 January 1900 and 31 December 2100)",
            "Row 3, date: '9999-12-31' is not a date Caresight accepts (it must be between "
            "1 January 1900 and 31 December 2100)"]
        assert not location.outbreaks.exists()


@pytest.mark.django_db
class TestRowChecksAndOutcomes:
    def test_an_id_of_the_wrong_type_is_a_row_message(self):
        result = run_import("cqc", data=jsonl(api_object(locationId=12345)), file_name="x",
                            user=OPERATOR, dry_run=False)
        assert [str(e) for e in result.errors] == [
            "Row 1, locationId: '12345' is not a CQC location ID (1- followed by 6 to 12 "
            "digits)"]
        data = (b"cqc_location_id,date,suspected_or_confirmed,new_cases_residents,"
                b"new_cases_staff,deaths\n[1],2020-06-01,confirmed,1,0,0\n")
        result = run_import("outbreaks", data=data, file_name="x.csv", user=OPERATOR, dry_run=True)
        assert [str(e) for e in result.errors] == [
            "Row 2, cqc_location_id: '[1]' is not the CQC location ID of any service on the "
            "register"]
        assert not Location.objects.exists()

    def test_counts_are_keyed_by_outcome_never_by_label(self):
        result = run_import("cqc", data=jsonl(api_object()), file_name="x", user=OPERATOR,
                            dry_run=True)
        assert set(result.counts) == set(CqcOutcome.values)
        assert result.counts[CqcOutcome.CREATED] == 1 and result.counts[OUTSIDE] == 0
        as_json = result.as_dict()
        assert "outside your authorities (left alone)" not in as_json["counts"]
        assert {"outcome": "providers_created", "label": "providers created",
                "count": 1} in as_json["outcomes"]
        assert Outcome.OUTSIDE.label == "outside your authorities (left alone)"

    def test_the_preview_says_which_authorities_the_file_covers(self, make_user, cambs,
                                                                shared_data):
        user = make_user(Role.COMMISSIONER, cambs)
        result = run_import("cqc", data=(shared_data / REAL_FILE).read_bytes(),
                            file_name="x", user=user, dry_run=True)
        assert result.coverage.sentence() == (
            "0 of 728 rows are in your authorities: the file covers Devon 324, Somerset 222, "
            "Plymouth 97, Torbay 85.")
        assert result.counts[OUTSIDE] == 728
        assert not result.would_change
        assert "Nothing would change" in result.summary()

    def test_every_registered_import_counts_rows_left_outside(self):
        assert {"cqc", "returns", "outbreaks"} <= set(importers())
        for importer in importers().values():
            assert OUTSIDE in importer.outcomes.values


def make_job(user, data: bytes, kind="cqc", capture=None) -> Job:
    with capture(execute=True):
        job = import_job_create(kind=kind, file_name="x.jsonl", data=data, user=user)
    job.refresh_from_db()
    return job


def confirm(job, user, capture) -> Job:
    with capture(execute=True):
        import_job_confirm(job=job, user=user)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
class TestPreviewThenConfirm:
    @pytest.fixture
    def officer(self, make_user, devon):
        return make_user(Role.ADMIN, devon)

    def test_a_change_between_preview_and_confirm_is_refused_and_nothing_written(
            self, officer, django_capture_on_commit_callbacks):
        location = LocationFactory(cqc_location_id="1-1000587219", name="Old name",
                                   authority=Authority.objects.get(ons_code="E10000008"))
        job = make_job(officer, jsonl(api_object(name="New name")),
                       capture=django_capture_on_commit_callbacks)
        assert job.status == Job.Status.PREVIEWED and job.result["would_change"]
        # Someone edits the service after the file was checked.
        Location.objects.filter(pk=location.pk).update(name="Edited meanwhile")
        job = confirm(job, officer, django_capture_on_commit_callbacks)
        assert job.status == Job.Status.FAILED
        assert job.message == DATA_CHANGED
        job.refresh_from_db()
        assert bytes(job.payload) == b""  # a refused file is not kept (it may hold personal data)
        location.refresh_from_db()
        assert location.name == "Edited meanwhile"

    def test_a_new_service_that_would_be_saved_otherwise_than_previewed_is_refused(
            self, officer, django_capture_on_commit_callbacks):
        job = make_job(officer, jsonl(api_object()), capture=django_capture_on_commit_callbacks)
        assert job.result["counts"]["created"] == 1
        # Someone puts the service's postcode district into a locality after the file was
        # checked: the new service would now be saved in it, which the preview did not say.
        devon = Authority.objects.get(ons_code="E10000008")
        LocalityArea.objects.create(
            locality=LocalityFactory(authority=devon, name="Exeter"), authority=devon,
            kind=LocalityArea.Kind.POSTCODE_DISTRICT, code="EX1")
        job = confirm(job, officer, django_capture_on_commit_callbacks)
        assert job.status == Job.Status.FAILED and job.message == DATA_CHANGED
        assert not Location.objects.exists()

    def test_what_was_previewed_is_applied(self, officer, django_capture_on_commit_callbacks):
        job = make_job(officer, jsonl(api_object()), capture=django_capture_on_commit_callbacks)
        job = confirm(job, officer, django_capture_on_commit_callbacks)
        assert job.status == Job.Status.DONE and job.result["counts"]["created"] == 1
        assert Location.objects.get().name == "Highlands Borders Care Home"

    def test_a_second_confirm_is_refused_and_a_second_apply_writes_nothing(
            self, officer, django_capture_on_commit_callbacks):
        job = make_job(officer, jsonl(api_object()), capture=django_capture_on_commit_callbacks)
        preview = dict(job.result)
        job = confirm(job, officer, django_capture_on_commit_callbacks)
        with pytest.raises(ValidationError, match="already been confirmed"):
            import_job_confirm(job=job, user=officer)
        # A worker that picks the finished job up again does nothing…
        assert job_run(job_id=str(job.pk)).status == Job.Status.DONE
        # …and applying the previewed plan once more is refused: it is no longer the plan.
        again = run_import("cqc", data=jsonl(api_object()), file_name="x", user=officer,
                           dry_run=False, expected_fingerprint=preview["fingerprint"])
        assert again.file_error == DATA_CHANGED
        assert Location.objects.count() == 1
        assert Location.history.count() == 1

    def test_a_file_that_changes_nothing_cannot_be_confirmed(
            self, officer, client, django_capture_on_commit_callbacks):
        run_import("cqc", data=jsonl(api_object()), file_name="x", user=OPERATOR, dry_run=False)
        job = make_job(officer, jsonl(api_object()), capture=django_capture_on_commit_callbacks)
        assert job.status == Job.Status.PREVIEWED and not job.result["would_change"]
        client.force_login(officer)
        page = client.get(reverse("job-detail", args=[job.pk])).content.decode()
        assert "Nothing would change" in page and "Confirm and import" not in page
        with pytest.raises(ValidationError) as refused:
            import_job_confirm(job=job, user=officer)
        assert refused.value.messages == [NOTHING_TO_CHANGE]


@pytest.mark.django_db
class TestGenericPagesAndCommand:
    @pytest.mark.parametrize("url_name, heading", [
        ("registry:import", "Import locations from CQC"),
        ("returns:import", "Import Capacity Tracker returns"),
        ("outbreaks:import", "Import a public health line list"),
    ])
    def test_each_upload_page_is_the_one_generic_page(self, client, make_user, devon, url_name,
                                                      heading):
        client.force_login(make_user(Role.ADMIN, devon))
        response = client.get(reverse(url_name))
        assert response.status_code == 200
        assert [t.name for t in response.templates][0] == "core/import.html"
        assert f'<h1 class="govuk-heading-l">{heading}</h1>' in response.content.decode()

    def test_the_upload_page_refuses_those_who_may_not_import(self, client, make_user, devon):
        client.force_login(make_user(Role.VIEWER, devon))
        assert client.get(reverse("registry:import")).status_code == 403

    def test_the_command_offers_every_registered_kind(self, tmp_path: Path):
        path = tmp_path / "x.csv"
        path.write_text("a,b\n1,2\n")
        with pytest.raises(CommandError, match="invalid choice: 'nope'"):
            call_command("import", "nope", str(path))
        with pytest.raises(CommandError, match="Required columns are missing"):
            call_command("import", "outbreaks", str(path), "--no-progress")

    def test_the_command_refuses_a_file_over_the_size_limit_before_reading_it(
            self, tmp_path: Path):
        path = tmp_path / "big.csv"
        path.write_bytes(b"x" * 2_000)
        with override_settings(CARESIGHT_MAX_IMPORT_BYTES=1_000), pytest.raises(
                CommandError, match="the most an import reads"):
            call_command("import", "cqc", str(path), "--no-progress")


def test_core_names_no_domain_app_in_the_import_layer():
    core = Path(__file__).resolve().parent.parent
    for name in ("imports.py", "files.py", "views.py", "management/commands/import.py"):
        text = (core / name).read_text()
        assert not re.search(r"caresight\.(registry|returns|outbreaks|grants|risk)", text), name


def test_csv_rows_are_streamed_not_held():
    data = ("cqcid,beds\n" + "".join(f"1-{n:09d},{n}\n" for n in range(100))).encode()
    table = read_table(data, limits=LIMITS)
    first = next(table.rows)
    assert first == (2, {"cqcid": "1-000000000", "beds": "0"}) and table.rows_read == 1
    assert sum(1 for _ in table.rows) == 99
