"""Outbreak and risk pages: GOV.UK forms, the tracker, the lists and their downloads."""

import csv
import datetime as dt
import io
import uuid

import openpyxl
import pytest
from django.urls import reverse

from caresight.core.models import DownloadRecord, Job
from caresight.outbreaks.models import ImtAction, ImtMeeting, Outbreak, StatusChange
from caresight.outbreaks.tests.test_import import ROWS, line_list
from caresight.outbreaks.tests.test_services import report
from caresight.registry.tests.factories import LocationFactory
from caresight.risk.models import Concern, Override

REPORT = {"reported_on": "2020-06-01", "reported_by": "public_health", "kind": "confirmed",
          "new_cases_residents": "2", "new_cases_staff": "0", "deaths": "0",
          "admissions_closed": "yes", "notes": ""}


def once(data: dict, token: str | None = None) -> dict:
    """A form's data with its one-time token, as the page sends it."""
    return {**data, "submission_token": token or str(uuid.uuid4())}


@pytest.mark.django_db
class TestOutbreakPages:
    def test_an_officer_reports_an_outbreak_and_sees_its_status_pathway(self, client, officer,
                                                                       home):
        client.force_login(officer)
        found = client.get(reverse("outbreaks:report-search"), {"q": "willow"}).content.decode()
        assert reverse("outbreaks:report", args=[home.pk]) in found
        response = client.post(reverse("outbreaks:report", args=[home.pk]), once(REPORT),
                               follow=True)
        page = response.content.decode()
        assert "Outbreak at Willow Court reported." in page
        assert "29 June 2020" in page and "De-escalation pathway" in page
        assert Outbreak.objects.get().history.first().history_user == officer

    def test_a_second_report_shows_the_reason_beside_the_date(self, client, officer, home):
        client.force_login(officer)
        client.post(reverse("outbreaks:report", args=[home.pk]), once(REPORT))
        again = client.post(reverse("outbreaks:report", args=[home.pk]),
                            once({**REPORT, "reported_on": "2020-06-10"})).content.decode()
        assert "There is a problem" in again
        assert 'href="#id_reported_on"' in again
        assert "Willow Court already has an open outbreak, reported on 1 June 2020" in again
        assert Outbreak.objects.count() == 1

    def test_negative_counts_and_an_override_without_a_reason_are_refused(self, client,
                                                                          officer, home):
        client.force_login(officer)
        page = client.post(reverse("outbreaks:report", args=[home.pk]),
                           once({**REPORT, "deaths": "-1"})).content.decode()
        assert "Deaths must be 0 or more" in page and not Outbreak.objects.exists()
        outbreak = report(home)
        page = client.post(reverse("outbreaks:status", args=[outbreak.pk]),
                           once({"status": "closed", "on": "2020-06-03", "reason": ""})
                           ).content.decode()
        assert "Give the reason for changing the status by hand." in page
        assert not StatusChange.objects.filter(automatic=False).exists()

    def test_an_update_and_an_imt_with_actions(self, client, officer, home):
        client.force_login(officer)
        outbreak = report(home)
        client.post(reverse("outbreaks:update", args=[outbreak.pk]), once({
            "on": "2020-06-10", "kind": "confirmed", "new_cases_residents": "1",
            "new_cases_staff": "0", "deaths": "1", "admissions_closed": "", "notes": ""}))
        outbreak.refresh_from_db()
        assert outbreak.closed_on == dt.date(2020, 7, 8)
        response = client.post(reverse("outbreaks:imt-add", args=[outbreak.pk]), once({
            "held_on": "2020-06-11", "attendees": "DPH\nCCG lead", "summary": "Swab all"}))
        meeting_url = response["Location"]
        client.post(meeting_url, once({"description": "Whole-home testing", "owner": "CCG",
                                       "due_on": "2020-06-12"}))
        page = client.get(meeting_url).content.decode()
        assert "Whole-home testing" in page and "Mark done" in page

    def test_an_update_is_corrected_from_the_outbreak_page(self, client, officer, home):
        client.force_login(officer)
        outbreak = report(home)
        page = client.get(reverse("outbreaks:detail", args=[outbreak.pk])).content.decode()
        url = reverse("outbreaks:update-correct", args=[outbreak.pk, "2020-06-01"])
        assert url in page
        client.post(url, once({"kind": "confirmed", "new_cases_residents": "5",
                               "new_cases_staff": "0", "deaths": "2", "admissions_closed": "",
                               "notes": "Recount"}))
        update = outbreak.updates.get()
        assert (update.new_cases_residents, update.deaths, update.on) == (5, 2, dt.date(2020, 6, 1))

    def test_the_tracker_links_to_lists_that_download_as_csv_and_xlsx(self, client, officer,
                                                                     home):
        client.force_login(officer)
        report(home, on=dt.date(2020, 6, 1))
        page = client.get(reverse("outbreaks:tracker"), {"as_of": "2020-06-04"}).content.decode()
        assert "Overall number of services on tracker" in page
        listing = client.get(reverse("outbreaks:list"),
                             {"show": "live", "as_of": "2020-06-04"}).content.decode()
        assert "Willow Court" in listing
        response = client.get(reverse("outbreaks:list"), {"show": "live", "as_of": "2020-06-04",
                                                           "download": "csv"})
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0]["Service"] == "Willow Court" and rows[0]["Status"] == "Live"
        assert rows[0]["Lists"] == "On the tracker; Live, being supported; New outbreaks"
        assert rows[0]["Reported"] == "2020-06-01"
        xlsx = client.get(reverse("outbreaks:list"), {"show": "live", "as_of": "2020-06-04",
                                                       "download": "xlsx"})
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet["B2"].value == "Willow Court"
        assert sheet["I1"].value == "Reported" and sheet["I2"].is_date

    def test_the_tracker_downloads_as_the_update_people_circulate(self, client, officer,
                                                                  home):
        client.force_login(officer)
        report(home, on=dt.date(2020, 6, 1))
        page = client.get(reverse("outbreaks:tracker"), {"as_of": "2020-06-04"})
        assert "Download the outbreak update" in page.content.decode()
        assert "<tfoot" in page.content.decode()  # the localities add up
        response = client.get(reverse("outbreaks:tracker"), {"as_of": "2020-06-04",
                                                             "download": "xlsx"})
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["Outbreak update", "Numbers by locality", "Outbreaks"]
        figures = {r[0]: r[1] for r in book["Outbreak update"].iter_rows(min_row=2,
                                                                           values_only=True)}
        assert figures["Number live being supported"] == 1
        assert book["Outbreaks"]["B2"].value == "Willow Court"
        logged = DownloadRecord.objects.get()
        assert (logged.what, logged.filters, logged.rows) == (
            "Outbreak tracker 2020-06-04", "as_of=2020-06-04", 6 + 1 + 1)

    def test_a_line_list_is_previewed_then_imported(self, client, officer, home, cambs):
        LocationFactory(authority=cambs, cqc_location_id="1-222222222")
        client.force_login(officer)
        upload = io.BytesIO(line_list(ROWS))
        upload.name = "list.csv"
        response = client.post(reverse("outbreaks:import"), {"file": upload})
        job = Job.objects.get()
        assert response["Location"] == reverse("job-detail", args=[job.pk])
        assert job.kind == "outbreaks"


@pytest.mark.django_db
class TestRiskPages:
    def test_an_officer_records_a_concern_and_overrides_a_rating(self, client, officer, home):
        client.force_login(officer)
        client.post(reverse("risk:concern-add", args=[home.pk]), once({
            "raised_on": "2020-06-01", "source": "safeguarding", "summary": "Bruising"}))
        page = client.get(reverse("risk:location", args=[home.pk])).content.decode()
        assert "Open concern: Bruising" in page
        refused = client.post(reverse("risk:override", args=[home.pk]), once({
            "rating": "red", "reason": "", "starts_on": "2020-06-01",
            "expires_on": "2020-06-10"})).content.decode()
        assert "Give the reason for overriding the rating." in refused
        assert not Override.objects.exists()
        client.post(reverse("risk:concern-close", args=[Concern.objects.get().pk]),
                    {"closed_on": "2020-06-02", "closing_note": "Resolved"})
        assert Concern.objects.get().closed_on == dt.date(2020, 6, 2)

    def test_the_log_downloads_and_is_saved_once(self, client, officer, home):
        client.force_login(officer)
        report(home, on=dt.date(2020, 6, 1))
        page = client.get(reverse("risk:log"), {"as_of": "2020-06-04"}).content.decode()
        assert "1 red, 0 amber, 0 green" in page
        xlsx = client.get(reverse("risk:log"), {"as_of": "2020-06-04", "download": "xlsx"})
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        assert (sheet["A2"].value, sheet["B2"].value) == ("Red", "Willow Court")
        assert "Live outbreak" in sheet["H2"].value
        for _ in range(2):
            response = client.post(reverse("risk:save"), {"authority": "E10000003",
                                                          "as_of": "2020-06-04"}, follow=True)
        assert "was already saved" in response.content.decode()
        priorities = client.get(reverse("risk:priorities"), {"as_of": "2020-06-04"})
        assert "Willow Court" in priorities.content.decode()


# Every form that creates something, with valid data: (name, url of the form, data, what it
# creates). Sent twice with the same token, it creates one record.
def _creating_forms(home, outbreak, meeting):
    return {
        "report an outbreak": (reverse("outbreaks:report", args=[home.pk]), REPORT,
                               Outbreak.objects),
        "an update": (reverse("outbreaks:update", args=[outbreak.pk]), {
            "on": "2020-06-10", "kind": "confirmed", "new_cases_residents": "1",
            "new_cases_staff": "0", "deaths": "0", "admissions_closed": "", "notes": ""},
            outbreak.updates),
        "a status change by hand": (reverse("outbreaks:status", args=[outbreak.pk]), {
            "status": "closed", "on": "2020-06-20", "reason": "IMT agreed"},
            StatusChange.objects.filter(automatic=False)),
        "an IMT meeting": (reverse("outbreaks:imt-add", args=[outbreak.pk]), {
            "held_on": "2020-06-11", "attendees": "DPH", "summary": "Swab all"},
            ImtMeeting.objects),
        "an IMT meeting about a service": (
            reverse("outbreaks:location-imt-add", args=[home.pk]), {
                "held_on": "2020-06-11", "attendees": "DPH", "summary": "Swab all"},
            ImtMeeting.objects),
        "an IMT action": (reverse("outbreaks:imt", args=[meeting.pk]), {
            "description": "Whole-home testing", "owner": "CCG", "due_on": "2020-06-12"},
            ImtAction.objects),
        "a quality concern": (reverse("risk:concern-add", args=[home.pk]), {
            "raised_on": "2020-06-01", "source": "safeguarding", "summary": "Bruising"},
            Concern.objects),
        "a rating override": (reverse("risk:override", args=[home.pk]), {
            "rating": "red", "reason": "IMT", "starts_on": "2020-06-01",
            "expires_on": "2020-06-10"}, Override.objects),
    }


CREATING_FORMS = ["report an outbreak", "an update", "a status change by hand",
                  "an IMT meeting", "an IMT meeting about a service", "an IMT action",
                  "a quality concern", "a rating override"]


@pytest.mark.django_db
class TestSentTwice:
    @pytest.mark.parametrize("form", CREATING_FORMS)
    def test_a_form_sent_twice_creates_one_record_and_goes_where_the_first_went(
            self, form, client, officer, home, cambs):
        other = LocationFactory(authority=cambs, name="Other House")
        outbreak = report(other)
        meeting = ImtMeeting.objects.create(location=other, outbreak=outbreak,
                                            held_on=dt.date(2020, 6, 2), summary="First")
        url, data, records = _creating_forms(home, outbreak, meeting)[form]
        before = records.count()
        client.force_login(officer)
        token = str(uuid.uuid4())
        first = client.post(url, once(data, token))
        assert first.status_code == 302, first.content.decode()[:2000]
        assert records.count() == before + 1
        second = client.post(url, once(data, token), follow=True)
        assert records.count() == before + 1
        assert second.redirect_chain[0][0] == first["Location"]
        assert "already" in second.content.decode()

    def test_a_form_without_its_token_is_refused(self, client, officer, home):
        client.force_login(officer)
        page = client.post(reverse("outbreaks:report", args=[home.pk]), REPORT)
        assert page.status_code == 200 and not Outbreak.objects.exists()

    def test_a_refusal_lands_on_its_field_and_leaves_the_token_to_use_again(
            self, client, officer, home):
        client.force_login(officer)
        token = str(uuid.uuid4())
        refused = client.post(reverse("risk:concern-add", args=[home.pk]), once({
            "raised_on": "2098-01-01", "source": "safeguarding", "summary": "Bruising"}, token))
        page = refused.content.decode()
        form = refused.context["form"]
        assert "is in the future" in " ".join(form.errors["raised_on"])
        assert 'href="#id_raised_on"' in page and not Concern.objects.exists()
        fixed = client.post(reverse("risk:concern-add", args=[home.pk]), once({
            "raised_on": "2020-06-01", "source": "safeguarding", "summary": "Bruising"}, token))
        assert fixed.status_code == 302 and Concern.objects.count() == 1
