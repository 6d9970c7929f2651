"""A service's locality reads the same everywhere: its locality's name, or "No locality"
(never blank, never the authority's name)."""

import csv
import io
import json

import pytest
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.registry.models import NO_LOCALITY, Locality, ServiceType
from caresight.registry.tests.factories import LocationFactory


@pytest.fixture
def homes(cambs):
    fens = Locality.objects.create(authority=cambs, name="Fenland")
    return {
        "placed": LocationFactory(authority=cambs, locality=fens, name="Fen Lodge",
                                  service_type=ServiceType.CARE_HOME),
        "unplaced": LocationFactory(authority=cambs, locality=None, name="Nowhere House",
                                    service_type=ServiceType.CARE_HOME),
    }


@pytest.fixture
def officer(client, make_user, cambs):
    client.force_login(make_user(Role.QUALITY_OFFICER, cambs))
    return client


def test_the_model_gives_one_label(homes):
    assert homes["placed"].locality_label == "Fenland"
    assert homes["unplaced"].locality_label == NO_LOCALITY == "No locality"


@pytest.mark.django_db
def test_the_register_pages_and_download_say_no_locality(officer, homes, cambs):
    unplaced = homes["unplaced"]
    detail = officer.get(reverse("registry:location-detail", args=[unplaced.pk]))
    assert "No locality" in detail.content.decode()
    rows = list(csv.DictReader(io.StringIO(officer.get(
        reverse("registry:location-list"), {"download": "csv", "q": "Nowhere"})
        .content.decode("utf-8-sig"))))
    assert [row["Locality"] for row in rows] == ["No locality"]
    assert cambs.name not in rows[0]["Locality"]


@pytest.mark.django_db
def test_the_api_says_no_locality_for_the_name_and_null_for_the_id(officer, homes):
    body = officer.get(f"/api/locations/{homes['unplaced'].pk}/").json()
    assert body["locality"] is None and body["locality_name"] == "No locality"
    assert officer.get(f"/api/locations/{homes['placed'].pk}/").json()["locality_name"] == (
        "Fenland")


@pytest.mark.django_db
def test_the_chase_list_and_the_risk_log_say_the_same(officer, homes):
    chase = {row["name"]: row["locality"] for row in officer.get("/api/returns/chase/").json()}
    assert chase == {"Fen Lodge": "Fenland", "Nowhere House": "No locality"}
    log = {row["name"]: row["locality"] for row in officer.get("/api/risk-log/").json()}
    assert log == chase
    page = officer.get(reverse("returns:completeness")).content.decode()
    assert "No locality (1)" in page and "Fenland (1)" in page


@pytest.mark.django_db
def test_the_outbreak_tracker_says_the_same(officer, homes, make_user, cambs):
    from caresight.outbreaks import services
    from caresight.outbreaks.models import Kind

    user = make_user(Role.QUALITY_OFFICER, cambs)
    import datetime as dt

    from django.utils import timezone

    services.outbreak_report(
        location=homes["unplaced"], reported_on=timezone.localdate() - dt.timedelta(days=1),
        reported_by="provider", reporter_name="", first_symptoms_on=None,
        counts=services.Counts(kind=Kind.CONFIRMED, new_cases_residents=2, new_cases_staff=0,
                               deaths=0, admissions_closed=None, notes=""), user=user)
    tracker = officer.get("/api/outbreaks/tracker/").json()
    assert [row["locality"] for row in tracker["rows"]] == ["No locality"]
    assert [row["locality"] for row in tracker["by_locality"]] == ["No locality"]
    download = json.loads(officer.get(reverse("outbreaks:list"), {"download": "json"}).content)
    assert "No locality" in json.dumps(download)
