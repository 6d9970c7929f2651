"""The risk log's and whom-to-support-first's pages and downloads: every row, counted."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
import tablib
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.outbreaks.tests.test_services import report
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers
from caresight.risk import services
from caresight.risk.models import Rating

DAY = dt.date(2020, 6, 4)
CALM = {"ppe_days_eye_protection": "20", "staff_multiple_settings": "0"}


@pytest.fixture
def many(cambs, devon, make_user):
    """61 services to support in Cambridgeshire (one red, sixty amber), a green one, and a
    red one in Devon."""
    red = LocationFactory(authority=cambs, name="Outbreak House")
    report(red, on=DAY - dt.timedelta(days=2))
    for n in range(60):  # no return in their window: amber
        LocationFactory(authority=cambs, name=f"Quiet Home {n:02d}")
    calm = LocationFactory(authority=cambs, name="Calm Lodge")
    for home in (red, calm):
        return_submit(location=home, for_date=DAY - dt.timedelta(days=1),
                      answers=care_home_answers(**CALM), user=OPERATOR)
    report(LocationFactory(authority=devon, name="Dartmoor House"), on=DAY)
    return {"officer": make_user(Role.COMMISSIONER, cambs)}


@pytest.mark.django_db
class TestWhomToSupportFirst:
    def test_the_page_counts_and_lists_every_red_and_amber_service(self, client, many):
        client.force_login(many["officer"])
        page = client.get(reverse("risk:priorities"), {"as_of": DAY.isoformat()}
                          ).content.decode()
        assert "61 services to support or test, all listed below." in page
        assert page.count("Quiet Home") == 60 and "Quiet Home 59" in page
        assert "Outbreak House" in page
        assert "Calm Lodge" not in page and "Dartmoor House" not in page
        assert page.index("Outbreak House") < page.index("Quiet Home 00")

    def test_the_download_holds_the_same_full_list_numbered(self, client, many):
        client.force_login(many["officer"])
        response = client.get(reverse("risk:priorities"),
                              {"as_of": DAY.isoformat(), "download": "csv"})
        assert response["Content-Disposition"] == (
            'attachment; filename="whom-to-support-first-2020-06-04.csv"')
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) == 61
        assert [row["Priority"] for row in rows] == [str(n) for n in range(1, 62)]
        assert (rows[0]["Service"], rows[0]["Rating"]) == ("Outbreak House", "Red")
        assert {row["Service"] for row in rows[1:]} == {f"Quiet Home {n:02d}"
                                                       for n in range(60)}
        assert {row["Rating"] for row in rows[1:]} == {"Amber"}
        assert rows[1]["Reasons"] == "No current return: No return within the expected window."

    def test_every_format_holds_the_full_list(self, client, many):
        client.force_login(many["officer"])
        url = reverse("risk:priorities")
        data = client.get(url, {"as_of": DAY.isoformat(), "download": "json"}).json()
        assert len(data) == 61 and data[0]["priority"] == 1 and data[0]["rating"] == "Red"
        assert data[0]["name"] == "Outbreak House"
        book = openpyxl.load_workbook(io.BytesIO(client.get(
            url, {"as_of": DAY.isoformat(), "download": "xlsx"}).content))
        sheet = book.active
        assert sheet.max_row == 62 and sheet["A62"].value == 61
        ods = client.get(url, {"as_of": DAY.isoformat(), "download": "ods"})
        assert len(tablib.Dataset().load(io.BytesIO(ods.content), format="ods")) == 61

    def test_the_api_gives_the_full_list_too(self, client, many):
        client.force_login(many["officer"])
        data = client.get("/api/risk-log/priorities/", {"as_of": DAY.isoformat()}).json()
        assert len(data) == 61


@pytest.mark.django_db
class TestRiskLogDownloads:
    @pytest.fixture
    def log(self, cambs, make_user):
        red = LocationFactory(authority=cambs, name="Outbreak House",
                              service_type="care_home_nursing")
        report(red, on=DAY - dt.timedelta(days=2))
        calm = LocationFactory(authority=cambs, name="Calm Lodge", locality=None)
        for home in (red, calm):
            return_submit(location=home, for_date=DAY - dt.timedelta(days=1),
                          answers=care_home_answers(**CALM), user=OPERATOR)
        services.override_set(location=calm, rating=Rating.AMBER, reason="=HYPERLINK(1)",
                              starts_on=DAY, expires_on=dt.date(2020, 6, 30), user=OPERATOR)
        return {"officer": make_user(Role.COMMISSIONER, cambs)}

    def get(self, client, log, fmt, **query):
        client.force_login(log["officer"])
        return client.get(reverse("risk:log"), {"as_of": DAY.isoformat(), "download": fmt,
                                                **query})

    def test_the_xlsx_has_human_headers_labels_real_dates_and_a_frozen_header(self, client,
                                                                             log):
        response = self.get(client, log, "xlsx")
        assert response["Content-Disposition"] == 'attachment; filename="risk-log-2020-06-04.xlsx"'
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert [c.value for c in sheet[1]] == [
            "Rating", "Service", "CQC location ID", "Provider", "Authority", "Locality",
            "Type of service", "Reasons", "Override reason", "Override ends",
            "Rating by the rules", "Priority score"]
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:L3"
        red, calm = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        assert red[:2] == ["Red", "Outbreak House"] and red[6] == "Care home with nursing"
        assert red[7].startswith("Live outbreak: ")
        assert isinstance(red[11], int) and red[11] >= 3
        assert calm[:2] == ["Amber", "Calm Lodge"] and calm[5] == "No locality"
        assert calm[8] == "'=HYPERLINK(1)"  # text, never a live formula
        assert calm[9] == dt.datetime(2020, 6, 30) and calm[10] == "Green"

    def test_csv_ods_and_json_hold_the_same_rows(self, client, log):
        rows = list(csv.DictReader(io.StringIO(
            self.get(client, log, "csv").content.decode("utf-8-sig"))))
        assert [(r["Rating"], r["Service"], r["Override ends"]) for r in rows] == [
            ("Red", "Outbreak House", ""), ("Amber", "Calm Lodge", "2020-06-30")]
        assert rows[1]["Override reason"] == "'=HYPERLINK(1)"
        ods = tablib.Dataset().load(io.BytesIO(self.get(client, log, "ods").content),
                                    format="ods")
        assert ods["Rating"] == ["Red", "Amber"] and ods["Override ends"][1] == dt.date(
            2020, 6, 30)
        data = self.get(client, log, "json").json()
        assert list(data[1]) == ["rating", "name", "cqc_location_id", "provider", "authority",
                                 "locality", "service_type", "reasons", "override_reason",
                                 "override_expires_on", "computed_rating", "score"]
        assert (data[1]["rating"], data[1]["override_expires_on"]) == ("Amber", "2020-06-30")
        assert data[1]["override_reason"] == "=HYPERLINK(1)"  # JSON is data, not a sheet

    def test_a_rating_chosen_on_the_page_is_the_one_downloaded(self, client, log):
        rows = list(csv.DictReader(io.StringIO(
            self.get(client, log, "csv", rating="amber").content.decode("utf-8-sig"))))
        assert [r["Service"] for r in rows] == ["Calm Lodge"]

    def test_the_page_table_shows_tags_reasons_and_the_override(self, client, log):
        client.force_login(log["officer"])
        page = client.get(reverse("risk:log"), {"as_of": DAY.isoformat()}).content.decode()
        assert '<strong class="govuk-tag govuk-tag--red">Red</strong>' in page
        assert '<strong class="govuk-tag govuk-tag--orange">Amber</strong>' in page
        assert "Overridden (the rules say green) until 30 June 2020: =HYPERLINK(1)" in page
        assert "?as_of=2020-06-04&amp;download=xlsx" in page
