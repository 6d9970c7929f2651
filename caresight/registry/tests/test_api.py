"""The register API: same permissions as the pages, string IDs, ISO dates, one error shape."""

import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from caresight.accounts.models import Role
from caresight.registry.models import Location

from .factories import LocationFactory


@pytest.fixture
def api(two_councils):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    token = Token.objects.create(user=two_councils["commissioner"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.django_db
class TestLocations:
    def test_list_is_scoped_and_ids_are_strings(self, api, two_councils):
        body = api.get("/api/locations/").json()
        assert body["count"] == 1
        row = body["results"][0]
        assert row["id"] == str(two_councils["own"].pk)
        assert row["provider"] == str(two_councils["own"].provider_id)
        assert row["authority"] == "E10000003"

    def test_filters_are_the_pages_filters(self, api, cambs):
        LocationFactory(authority=cambs, name="Abbey Nursing", service_type="care_home_nursing")
        names = [r["name"] for r in
                 api.get("/api/locations/?service_type=care_home_nursing").json()["results"]]
        assert names == ["Abbey Nursing"]
        assert api.get("/api/locations/?q=fen%20view").json()["count"] == 1

    def test_dates_are_iso_8601(self, api, two_councils):
        import datetime as dt

        own = two_councils["own"]
        own.registration_date = dt.date(2014, 3, 9)
        own.save()
        assert api.get(f"/api/locations/{own.pk}/").json()["registration_date"] == "2014-03-09"

    def test_create_update_and_audit(self, api, two_councils, cambs):
        payload = {"name": "API Lodge", "provider": str(two_councils["own"].provider_id),
                   "authority": "E10000003", "service_type": "care_home", "registered_beds": 12,
                   "postcode": "CB7 4AB", "client_groups": ["dementia"]}
        created = api.post("/api/locations/", payload, format="json")
        assert created.status_code == 201, created.json()
        location = Location.objects.get(name="API Lodge")
        assert location.history.get().history_user == two_councils["commissioner"]
        patched = api.patch(f"/api/locations/{location.pk}/", {"registered_beds": 14},
                            format="json")
        assert patched.json()["registered_beds"] == 14

    def test_cannot_create_in_another_council(self, api, two_councils):
        payload = {"name": "Sneaky", "provider": str(two_councils["own"].provider_id),
                   "authority": "E10000008", "service_type": "care_home"}
        response = api.post("/api/locations/", payload, format="json")
        assert response.status_code == 400
        assert "authority" in response.json()["error"]["fields"]
        assert not Location.objects.filter(name="Sneaky").exists()

    def test_validation_errors_have_one_shape(self, api, two_councils):
        response = api.patch(f"/api/locations/{two_councils['own'].pk}/",
                             {"registered_beds": -2, "service_type": "castle"}, format="json")
        error = response.json()["error"]
        assert response.status_code == 400
        assert error["status"] == 400 and error["code"] == "invalid"
        assert set(error["fields"]) == {"registered_beds", "service_type"}
        assert "registered_beds" in error["message"]

    def test_another_councils_record_is_not_found(self, api, two_councils):
        response = api.get(f"/api/locations/{two_councils['other'].pk}/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_no_token_is_401_in_the_same_shape(self):
        response = APIClient().get("/api/locations/")
        assert response.status_code == 401
        assert response.json()["error"]["status"] == 401


@pytest.mark.django_db
def test_read_only_roles_cannot_write(make_user, cambs, two_councils):
    client = APIClient()
    client.force_authenticate(make_user(Role.PARTNER, cambs))
    response = client.patch(f"/api/locations/{two_councils['own'].pk}/", {"name": "x"},
                            format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_schema_and_local_docs(client):
    schema = client.get("/api/schema/?format=json").json()
    assert {"/api/locations/", "/api/locations/{id}/", "/api/providers/"} <= set(schema["paths"])
    docs = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in docs
    # Everything the page loads is served here: no script, style or font from another site.
    # (Not a search for "cdn": the page's random CSRF token can contain it.)
    assert re.findall(r"""(?:src|href|url)\s*[=(:]\s*["']?(?:https?:)?//""", docs) == []


@pytest.mark.django_db
def test_token_command_prints_a_working_token(make_user, cambs, capsys):
    user = make_user(Role.PUBLIC_HEALTH, cambs, email="ph@example.org")
    call_command("token", "create", "--email", user.email)
    key = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/locations/").status_code == 200


@pytest.mark.django_db
def test_the_api_meets_the_same_rules_as_the_forms(api, two_councils):
    response = api.patch(f"/api/locations/{two_councils['own'].pk}/",
                         {"service_type": "domiciliary", "registered_beds": 12}, format="json")
    assert response.status_code == 400
    assert "Only care homes have registered beds" in " ".join(
        response.json()["error"]["fields"]["registered_beds"])
