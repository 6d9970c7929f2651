"""Register pages: list, filters, download, forms, history, import through the browser flow."""

import csv
import io
import json

import openpyxl
import pytest
import tablib
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core.models import DownloadRecord, Job
from caresight.registry.models import Location, Provider, ServiceType
from caresight.registry.services import locality_create

from .factories import LocationFactory


@pytest.fixture
def officer_client(client, two_councils):
    client.force_login(two_councils["commissioner"])
    return client


@pytest.mark.django_db
class TestList:
    def test_list_shows_own_council_only(self, officer_client):
        html = officer_client.get(reverse("registry:location-list")).content.decode()
        assert "Fen View Care Home" in html
        assert "Dartmoor House" not in html

    def test_search_filter_and_sort(self, officer_client, cambs):
        LocationFactory(authority=cambs, name="Abbey Nursing Home",
                        service_type=ServiceType.CARE_HOME_NURSING, registered_beds=80,
                        client_groups=["dementia"])
        LocationFactory(authority=cambs, name="Zebra Home Care", registered_beds=None,
                        service_type=ServiceType.DOMICILIARY, client_groups=["learning_disability"])
        url = reverse("registry:location-list")

        def names(query):
            response = officer_client.get(url, query)
            return [loc.name for loc in response.context["page"]]

        assert names({"q": "abbey"}) == ["Abbey Nursing Home"]
        assert names({"service_type": "domiciliary"}) == ["Zebra Home Care"]
        assert names({"client_group": "dementia"}) == ["Abbey Nursing Home"]
        assert names({"sort": "-beds"})[0] == "Abbey Nursing Home"
        assert names({"sort": "-name"})[0] == "Zebra Home Care"

    def test_deregistered_services_are_hidden_unless_asked_for(self, officer_client, cambs):
        LocationFactory(authority=cambs, name="Closed House", registration_status="deregistered")
        url = reverse("registry:location-list")
        assert "Closed House" not in officer_client.get(url).content.decode()
        deregistered = officer_client.get(url, {"status": "deregistered"})
        assert "Closed House" in deregistered.content.decode()

    def test_pagination(self, officer_client, cambs):
        for n in range(60):
            LocationFactory(authority=cambs, name=f"Home {n:02d}")
        response = officer_client.get(reverse("registry:location-list"), {"page": 2})
        assert response.context["page"].number == 2
        assert len(response.context["page"]) == 11


@pytest.mark.django_db
class TestDownload:
    def test_each_format_honours_filters_and_tenancy(self, officer_client, cambs):
        LocationFactory(authority=cambs, name="Abbey Nursing Home",
                        service_type=ServiceType.CARE_HOME_NURSING, registered_beds=80)
        url = reverse("registry:location-list")
        query = {"service_type": "care_home_nursing"}

        data = json.loads(officer_client.get(url, {**query, "download": "json"}).content)
        assert [row["name"] for row in data] == ["Abbey Nursing Home"]
        assert data[0]["authority_code"] == "E10000003"
        assert data[0]["registered_beds"] == 80
        assert data[0]["service_type"] == "Care home with nursing"  # a label, machine keys

        response = officer_client.get(url, {"download": "xlsx"})
        assert response["Cache-Control"] == "no-store"
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert sheet["B1"].value == "Service" and sheet.freeze_panes == "A2"
        names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert names == {"Fen View Care Home", "Abbey Nursing Home"}  # never Dartmoor House

        csv_text = officer_client.get(url, {**query, "download": "csv"}).content.decode(
            "utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(csv_text)))
        assert [r["Service"] for r in rows] == ["Abbey Nursing Home"]
        assert rows[0]["Type of service"] == "Care home with nursing"
        assert rows[0]["Registered beds"] == "80" and rows[0]["Authority"] == "Cambridgeshire"

        ods = officer_client.get(url, {"download": "ods"}).content
        dataset = tablib.Dataset().load(io.BytesIO(ods), format="ods")
        assert set(dataset["Service"]) == {"Fen View Care Home", "Abbey Nursing Home"}

        logged = list(DownloadRecord.objects.order_by("pk").values_list(
            "what", "file_format", "filters", "rows"))
        assert logged == [("Locations", "json", "service_type=care_home_nursing", 1),
                          ("Locations", "xlsx", "", 2),
                          ("Locations", "csv", "service_type=care_home_nursing", 1),
                          ("Locations", "ods", "", 2)]

    def test_the_page_table_shows_labels_and_no_locality(self, officer_client, cambs):
        LocationFactory(authority=cambs, name="Abbey Nursing Home", locality=None,
                        service_type=ServiceType.CARE_HOME_NURSING, registered_beds=1200)
        page = officer_client.get(reverse("registry:location-list"),
                                  {"q": "Abbey"}).content.decode()
        assert "Care home with nursing" in page and "care_home_nursing</td>" not in page
        assert '<td class="govuk-table__cell govuk-table__cell--numeric">1,200</td>' in page
        assert "No locality" in page

    def test_unknown_format_is_refused(self, officer_client):
        response = officer_client.get(reverse("registry:location-list"), {"download": "pdf"})
        assert response.status_code == 400


def location_post(location=None, **changes):
    data = {
        "name": "New Meadow", "cqc_location_id": "", "service_type": "care_home",
        "registered_beds": "25", "address_line_1": "1 Fen Road", "town": "March",
        "postcode": "pe15 8aa", "registration_status": "registered",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
class TestForms:
    def test_create_places_the_service_in_its_locality_and_audits_it(
            self, officer_client, two_councils, cambs):
        fenland = locality_create(authority=cambs, name="Fenland", postcode_districts=["PE15"],
                                  user=two_councils["commissioner"])
        provider = two_councils["own"].provider
        page = officer_client.get(reverse("registry:location-create"))
        token = page.context["form"]["submission_token"].value()
        data = location_post(provider=provider.pk, authority=cambs.pk, submission_token=token)
        response = officer_client.post(reverse("registry:location-create"), data)
        location = Location.objects.get(name="New Meadow")
        assert response.status_code == 302
        assert location.locality == fenland
        assert location.postcode == "PE15 8AA"
        assert location.history.get().history_user == two_councils["commissioner"]

    def test_a_form_submitted_twice_saves_once(self, officer_client, two_councils, cambs):
        page = officer_client.get(reverse("registry:location-create"))
        token = page.context["form"]["submission_token"].value()
        data = location_post(provider=two_councils["own"].provider.pk, authority=cambs.pk,
                             submission_token=token)
        first = officer_client.post(reverse("registry:location-create"), data)
        second = officer_client.post(reverse("registry:location-create"), data)
        assert Location.objects.filter(name="New Meadow").count() == 1
        assert second.status_code == 302 and second.url == first.url

    def test_errors_are_summarised_and_nothing_is_saved(self, officer_client, two_councils,
                                                        cambs, devon):
        page = officer_client.get(reverse("registry:location-create"))
        data = location_post(
            provider=two_councils["own"].provider.pk, authority=devon.pk, name="",
            registered_beds="-4", postcode="nowhere", service_type="domiciliary",
            submission_token=page.context["form"]["submission_token"].value(),
        )
        response = officer_client.post(reverse("registry:location-create"), data)
        html = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in html
        summary = dict(response.context["form"].error_summary())
        assert set(summary) >= {"id_name", "id_registered_beds", "id_postcode", "id_authority"}
        assert not Location.objects.filter(postcode="NOWHERE").exists()

    def test_beds_only_for_care_homes(self, officer_client, two_councils, cambs):
        page = officer_client.get(reverse("registry:location-create"))
        data = location_post(provider=two_councils["own"].provider.pk, authority=cambs.pk,
                             service_type="domiciliary",
                             submission_token=page.context["form"]["submission_token"].value())
        response = officer_client.post(reverse("registry:location-create"), data)
        assert "Only care homes have registered beds" in response.content.decode()

    def test_edit_then_history_shows_before_and_after(self, officer_client, two_councils, cambs):
        own = two_councils["own"]
        data = location_post(name="Fen View", provider=own.provider.pk, authority=cambs.pk,
                             registered_beds="31", postcode=own.postcode)
        response = officer_client.post(reverse("registry:location-edit", args=[own.pk]), data)
        assert response.status_code == 302
        history = officer_client.get(reverse("registry:location-history", args=[own.pk]))
        entry = history.context["entries"][0]
        changes = {c["field"]: (c["old"], c["new"]) for c in entry["changes"]}
        assert changes["Name"] == ("Fen View Care Home", "Fen View")
        assert changes["Registered beds"] == ("30", "31")
        assert entry["who"] == two_councils["commissioner"]
        # On the page, each entry's changes are a table of the one table layer.
        html = history.content.decode()
        assert entry["table"].title == "Changes"
        assert '<th scope="row" class="govuk-table__header">Name</th>' in html
        assert "<td class=\"govuk-table__cell\">Fen View Care Home</td>" in html

    def test_provider_create_and_edit(self, officer_client):
        page = officer_client.get(reverse("registry:provider-create"))
        response = officer_client.post(reverse("registry:provider-create"), {
            "name": "Little Care Ltd", "is_small": "on",
            "submission_token": page.context["form"]["submission_token"].value()})
        provider = Provider.objects.get(name="Little Care Ltd")
        assert response.url == f"/register/providers/{provider.pk}/"
        assert provider.is_small and provider.home_authority.ons_code == "E10000003"
        officer_client.post(reverse("registry:provider-edit", args=[provider.pk]),
                            {"name": "Little Care Limited", "phone": "01354 111111"})
        provider.refresh_from_db()
        assert provider.name == "Little Care Limited" and not provider.is_small


@pytest.mark.django_db
class TestProviderUser:
    def test_sees_only_own_services_within_their_councils(self, client, make_user, cambs,
                                                          provider_group):
        user = make_user(Role.PROVIDER_USER, cambs, provider=provider_group["provider"])
        LocationFactory(authority=cambs, name="Someone Else's Home")
        client.force_login(user)
        html = client.get(reverse("registry:location-list")).content.decode()
        assert "Acorn Ely" in html
        assert "Acorn Exeter" not in html and "Someone Else" not in html


@pytest.mark.django_db
class TestSummary:
    def test_regional_viewer_sees_aggregates_for_the_region(self, client, make_user, cambs,
                                                            peterborough, devon):
        LocationFactory(authority=cambs, registered_beds=30)
        LocationFactory(authority=peterborough, registered_beds=20)
        LocationFactory(authority=devon, registered_beds=99)
        viewer = make_user(Role.VIEWER, cambs, peterborough)
        client.force_login(viewer)
        response = client.get(reverse("registry:summary"))
        assert response.context["total_beds"] == 50
        assert response.context["total_services"] == 2

    def test_summary_as_of_a_past_date(self, client, make_user, cambs):
        import datetime as dt

        LocationFactory(authority=cambs, registration_date=dt.date(2019, 1, 1))
        LocationFactory(authority=cambs, registration_date=dt.date(2021, 1, 1))
        client.force_login(make_user(Role.VIEWER, cambs))
        response = client.get(reverse("registry:summary"), {"as_of": "2020-06-01"})
        assert response.context["total_services"] == 1


@pytest.mark.django_db
class TestImportPages:
    @pytest.fixture(autouse=True)
    def run_background_work(self, django_capture_on_commit_callbacks):
        # Jobs are queued when the transaction commits; run them as the worker would.
        self.on_commit = django_capture_on_commit_callbacks

    def upload(self, client, content: bytes, name="locations.jsonl"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        with self.on_commit(execute=True):
            return client.post(reverse("registry:import"),
                               {"file": SimpleUploadedFile(name, content)})

    def confirm(self, client, job, **kwargs):
        with self.on_commit(execute=True):
            return client.post(reverse("job-confirm", args=[job.pk]), **kwargs)

    def test_upload_preview_confirm_and_confirm_again(self, client, make_user, devon,
                                                      shared_data):
        from caresight.registry.models import Authority

        south_west = Authority.objects.filter(
            ons_code__in=["E10000008", "E06000066", "E06000026", "E06000027"])
        admin = make_user(Role.ADMIN, *south_west)
        client.force_login(admin)
        data = (shared_data / "cqc/cqc-api-locations-care-homes-south-west-2021-02.jsonl")
        response = self.upload(client, data.read_bytes())
        job = Job.objects.get()
        assert response.url == reverse("job-detail", args=[job.pk])
        preview = client.get(response.url)
        job.refresh_from_db()
        assert job.status == Job.Status.PREVIEWED
        assert "Check the changes before you import" in preview.content.decode()
        assert not Location.objects.exists()

        self.confirm(client, job)
        job.refresh_from_db()
        assert job.status == Job.Status.DONE and job.result["counts"]["created"] == 728
        assert Location.objects.count() == 728
        assert Location.history.filter(history_user=admin).count() == 728

        again = self.confirm(client, job, follow=True)
        assert "already been confirmed" in again.content.decode()
        assert Location.objects.count() == 728

    def test_bad_rows_are_listed_and_cannot_be_confirmed(self, client, make_user, devon):
        client.force_login(make_user(Role.ADMIN, devon))
        bad = json.dumps({"locationId": "nope", "providerId": "1-123456789", "name": "X",
                          "localAuthority": "Devon", "numberOfBeds": -1})
        response = self.upload(client, bad.encode())
        page = client.get(response.url).content.decode()
        assert "The file cannot be imported" in page
        assert "numberOfBeds" in page and "locationId" in page
        self.confirm(client, Job.objects.get())
        assert not Location.objects.exists()

    def test_an_empty_upload_is_refused_on_the_form(self, client, make_user, devon):
        client.force_login(make_user(Role.ADMIN, devon))
        response = self.upload(client, b"")
        assert response.status_code == 200
        assert "empty" in response.content.decode()
        assert not Job.objects.exists()


@pytest.mark.django_db
def test_location_detail_shows_contacts_and_provider(officer_client, two_councils):
    own = two_councils["own"]
    html = officer_client.get(reverse("registry:location-detail", args=[own.pk])).content
    assert own.provider.name.encode() in html and b"Sam Example" in html


@pytest.mark.django_db
def test_locality_list(officer_client, two_councils, cambs):
    locality_create(authority=cambs, name="East Cambs", district_codes=["E07000009"],
                    postcode_districts=["CB7"], user=two_councils["commissioner"])
    response = officer_client.get(reverse("registry:locality-list"))
    locality = response.context["table"].row_list[0]
    assert locality.name == "East Cambs" and locality.services == 1  # Fen View is in CB7
    text = response.content.decode()
    assert "E07000009, CB7" in text or "CB7, E07000009" in text
    assert 'History<span class="govuk-visually-hidden"> of East Cambs</span>' in text




@pytest.mark.django_db
def test_filter_by_authority_on_the_page_and_the_api(client, make_user, cambs, peterborough,
                                                     devon):
    LocationFactory(authority=cambs, name="In Cambs")
    LocationFactory(authority=peterborough, name="In Peterborough")
    LocationFactory(authority=devon, name="In Devon")
    client.force_login(make_user(Role.COMMISSIONER, cambs, peterborough))
    page = client.get(reverse("registry:location-list"), {"authority": "E06000031"})
    assert [loc.name for loc in page.context["page"]] == ["In Peterborough"]
    api = client.get("/api/locations/", {"authority": "E06000031"}).json()
    assert [row["name"] for row in api["results"]] == ["In Peterborough"]
    # Another council's code is not a choice: nothing is shown, rather than everything.
    refused = client.get("/api/locations/", {"authority": "E10000008"})
    assert refused.status_code == 400
