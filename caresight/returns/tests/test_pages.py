"""Returns pages: submitting on GOV.UK forms, the summary, the chase list and the timeline."""

import csv
import io
import json

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from caresight.accounts.models import Role
from caresight.core.models import DownloadRecord, Job
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.models import Return
from caresight.returns.tests.test_import import care_home_row, to_csv
from caresight.returns.tests.test_submit import care_home_answers
from caresight.returns.tests.test_summary import DAY, area  # noqa: F401 (fixture)


def form_data(**changes) -> dict:
    return {"for_date": timezone.localdate().isoformat(), **care_home_answers(**changes),
            "submission_token": "6f1c1d52-93a4-4d1e-9a53-4a8f6b1e0f00"}


@pytest.fixture
def home(cambs):
    return LocationFactory(authority=cambs, name="Willow Court", registered_beds=40)


@pytest.mark.django_db
class TestSubmitPage:
    def test_a_care_home_manager_submits_and_sees_the_return(self, client, home, make_user,
                                                            cambs):
        manager = make_user(Role.PROVIDER_USER, cambs, provider=home.provider)
        client.force_login(manager)
        page = client.get(reverse("returns:submit", args=[home.pk])).content.decode()
        assert "Infection prevention and control" in page and "Ability to isolate residents" in page
        response = client.post(reverse("returns:submit", args=[home.pk]), form_data(),
                               follow=True)
        ret = Return.objects.get(location=home)
        assert ret.source == Return.Source.PROVIDER and ret.submitted_by == manager
        assert "Return for Willow Court on" in response.content.decode()

    def test_what_cannot_be_true_is_refused_next_to_the_question(self, client, home,
                                                                 make_user, cambs):
        client.force_login(make_user(Role.PROVIDER_USER, cambs, provider=home.provider))
        response = client.post(reverse("returns:submit", args=[home.pk]),
                               form_data(beds_occupied="45"))
        page = response.content.decode()
        assert response.status_code == 200
        assert "Occupied beds (45) cannot be more than registered beds (40)" in page
        assert 'href="#id_beds_occupied"' in page  # the error summary links to the question
        assert not Return.objects.exists()

    def test_a_sudden_jump_is_warned_about_but_saved(self, client, home, make_user, cambs):
        client.force_login(make_user(Role.PROVIDER_USER, cambs, provider=home.provider))
        yesterday = timezone.localdate() - timezone.timedelta(days=1)
        client.post(reverse("returns:submit", args=[home.pk]),
                    dict(form_data(), for_date=yesterday.isoformat()))
        response = client.post(reverse("returns:submit", args=[home.pk]),
                               dict(form_data(care_workers_absent_covid="20"),
                                    submission_token="0b7f3c1e-6c83-4f0e-8f3e-6f4f6c1d2e11"),
                               follow=True)
        assert "went from 2 to 20" in response.content.decode()
        assert Return.objects.filter(location=home).count() == 2

    def test_an_officer_enters_a_return_on_the_providers_behalf(self, client, home, make_user,
                                                                cambs):
        client.force_login(make_user(Role.QUALITY_OFFICER, cambs))
        page = client.get(reverse("returns:submit", args=[home.pk])).content.decode()
        assert "on the provider&#x27;s behalf" in page or "on the provider's behalf" in page
        client.post(reverse("returns:submit", args=[home.pk]), form_data())
        assert Return.objects.get(location=home).source == Return.Source.OFFICER

    def test_the_same_form_sent_twice_saves_once(self, client, home, make_user, cambs):
        client.force_login(make_user(Role.PROVIDER_USER, cambs, provider=home.provider))
        client.post(reverse("returns:submit", args=[home.pk]), form_data())
        client.post(reverse("returns:submit", args=[home.pk]), form_data())
        assert Return.objects.get(location=home).version == 1

    def test_a_provider_lists_only_its_own_services(self, client, home, make_user, cambs):
        other = LocationFactory(authority=cambs, name="Not Ours")
        client.force_login(make_user(Role.PROVIDER_USER, cambs, provider=home.provider))
        landing = client.get(reverse("home"))  # what is due from them, linking to the list
        assert reverse("returns:submit-list") in landing.content.decode()
        page = client.get(reverse("returns:submit-list")).content.decode()
        assert "Willow Court" in page and other.name not in page


@pytest.mark.django_db
class TestSummaryPages:
    def test_the_summary_page_shows_the_seed_table(self, client, area, make_user,  # noqa: F811
                                                   cambs):
        client.force_login(make_user(Role.COMMISSIONER, cambs))
        page = client.get(reverse("returns:summary"), {"as_of": DAY.isoformat()})
        text = page.content.decode()
        assert "3 of 4 services (75.0%)" in text
        assert "Ability to isolate residents" in text and "33.3%" in text and "100.0%" in text
        assert "East Cambridgeshire" in text

    def test_the_summary_downloads_as_one_workbook_and_prints(self, client, area,  # noqa: F811
                                                              make_user, cambs):
        client.force_login(make_user(Role.COMMISSIONER, cambs))
        query = {"as_of": DAY.isoformat()}
        page = client.get(reverse("returns:summary"), query).content.decode()
        assert "Printable version" in page and "download=xlsx" in page
        xlsx = client.get(reverse("returns:summary"), {**query, "download": "xlsx"})
        book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        assert book.sheetnames == ["Overview", "Infection control measures",
                                   "Beds by locality", "Staff absence", "PPE under 7 days",
                                   "Visiting", "Vaccination"]
        overview = {row[0]: row[1] for row in book["Overview"].iter_rows(min_row=2,
                                                                          values_only=True)}
        assert overview["Services with a current return"] == 3
        measures = book["Infection control measures"]
        assert measures["A1"].value == "Measure" and measures["B2"].number_format == "0.0%"
        data = json.loads(client.get(reverse("returns:summary"),
                                     {**query, "download": "json"}).content)
        assert data["overview"][1] == {"figure": "Services with a current return",
                                       "value": 3, "based_on": None}
        assert client.get(reverse("returns:summary"),
                          {**query, "download": "csv"}).status_code == 400
        printable = client.get(reverse("returns:summary"), {**query, "print": "1"})
        text = printable.content.decode()
        assert "Print this page" in text and "Show</button>" not in text
        assert "Ability to isolate residents" in text

    def test_beds_by_locality_add_up_in_a_totals_row(self, client, area,  # noqa: F811
                                                     make_user, cambs):
        client.force_login(make_user(Role.COMMISSIONER, cambs))
        response = client.get(reverse("returns:summary"), {"as_of": DAY.isoformat()})
        beds = response.context["beds_table"]
        totals = beds.totals()
        assert totals["registered"] == sum(r["registered"] for r in beds.row_list) > 0
        assert "<tfoot" in response.content.decode()

    def test_the_chase_list_names_who_to_call_and_downloads(self, client, area,  # noqa: F811
                                                           make_user, cambs):
        client.force_login(make_user(Role.QUALITY_OFFICER, cambs))
        page = client.get(reverse("returns:completeness"), {"as_of": DAY.isoformat()})
        text = page.content.decode()
        assert "Larch House" in text and "Ash House" not in text
        assert "<svg" in text and "Completion rate by week" in text
        download = client.get(reverse("returns:completeness"),
                              {"as_of": DAY.isoformat(), "download": "csv"})
        assert download["Cache-Control"] == "no-store"
        rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert [r["Service"] for r in rows] == ["Larch House"]
        assert rows[0]["Manager"] == "Sam Example" and rows[0]["Locality"]
        assert DownloadRecord.objects.get().rows == 1

    def test_a_service_timeline_is_a_chart_with_its_table(self, client, area,  # noqa: F811
                                                          make_user, cambs):
        client.force_login(make_user(Role.PUBLIC_HEALTH, cambs))
        page = client.get(reverse("returns:location", args=[area["a"].pk]),
                          {"as_of": DAY.isoformat()}).content.decode()
        assert "<svg" in page and 'data-testid="timeline"' in page
        assert page.count("Occupied beds") >= 1 and "4 June 2020" in page

    def test_a_return_page_lists_every_answer_and_its_history(self, client, area,  # noqa: F811
                                                              make_user, cambs):
        client.force_login(make_user(Role.PUBLIC_HEALTH, cambs))
        ret = Return.objects.filter(location=area["b"]).order_by("-for_date").first()
        page = client.get(reverse("returns:detail", args=[ret.pk])).content.decode()
        assert "Closed" in page and "Ability to isolate residents" in page
        history = client.get(reverse("returns:history", args=[ret.pk])).content.decode()
        assert "Return version 1" in history


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_uploading_a_tracker_export_previews_then_imports(client, home, make_user, cambs):
    officer = make_user(Role.COMMISSIONER, cambs)
    client.force_login(officer)
    upload = io.BytesIO(to_csv([care_home_row(home.cqc_location_id)]))
    upload.name = "capacity-tracker.csv"
    response = client.post(reverse("returns:import"), {"file": upload})
    job = Job.objects.get(created_by=officer)
    assert response.url == reverse("job-detail", args=[job.pk])
    job.refresh_from_db()
    assert job.kind == "returns" and job.status == Job.Status.PREVIEWED, job.message
    assert not Return.objects.exists()
    client.post(reverse("job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert Return.objects.get(location=home).values["beds_registered"] == 40
    page = client.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert reverse("returns:completeness") in page
