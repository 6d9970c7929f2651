"""The returns API over real HTTP routes: submit, list, latest, summary, chase."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from caresight.accounts.models import Role
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.models import Return
from caresight.returns.tests.test_submit import care_home_answers
from caresight.returns.tests.test_summary import DAY, area  # noqa: F401 (fixture)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.django_db
class TestReturnsApi:
    def test_a_provider_system_submits_a_return_and_gets_warnings_back(self, cambs, make_user):
        home = LocationFactory(authority=cambs, registered_beds=40)
        api = client_for(make_user(Role.PROVIDER_USER, cambs, provider=home.provider))
        body = {"location": str(home.pk), "for_date": "2020-06-03",
                "answers": care_home_answers()}
        assert api.post("/api/returns/", body, format="json").status_code == 201
        body["for_date"] = "2020-06-04"
        body["answers"] = care_home_answers(care_workers_absent_covid="25")
        response = api.post("/api/returns/", body, format="json")
        assert response.status_code == 201
        assert response.json()["values"]["care_workers_absent_covid"] == 25
        assert "went from 2 to 25" in response.json()["warnings"][0]

    def test_what_cannot_be_true_is_a_400_naming_the_measure(self, cambs, make_user):
        home = LocationFactory(authority=cambs, registered_beds=40)
        api = client_for(make_user(Role.COMMISSIONER, cambs))
        response = api.post("/api/returns/", {
            "location": str(home.pk), "for_date": "2020-06-04",
            "answers": care_home_answers(nurses_absent_covid="9", ppe_days_masks="lots")},
            format="json")
        error = response.json()["error"]
        assert response.status_code == 400
        assert "cannot be more than nurses employed (8)" in error["fields"][
            "nurses_absent_covid"][0]
        assert error["fields"]["ppe_days_masks"] == ["Days of masks in stock: Enter a number"]
        assert not Return.objects.exists()

    def test_a_future_date_is_refused(self, cambs, make_user):
        home = LocationFactory(authority=cambs)
        api = client_for(make_user(Role.COMMISSIONER, cambs))
        response = api.post("/api/returns/", {"location": str(home.pk),
                                              "for_date": "2098-01-01",
                                              "answers": care_home_answers()}, format="json")
        assert response.status_code == 400
        assert "future" in response.json()["error"]["fields"]["for_date"][0]

    def test_another_councils_service_cannot_be_submitted_for(self, cambs, devon, make_user):
        elsewhere = LocationFactory(authority=devon)
        api = client_for(make_user(Role.COMMISSIONER, cambs))
        response = api.post("/api/returns/", {"location": str(elsewhere.pk),
                                              "for_date": "2020-06-04",
                                              "answers": care_home_answers()}, format="json")
        assert response.status_code == 400 and not Return.objects.exists()

    def test_list_latest_summary_and_chase(self, area, make_user, cambs):  # noqa: F811
        api = client_for(make_user(Role.COMMISSIONER, cambs))
        listed = api.get("/api/returns/", {"from": DAY.isoformat()}).json()
        assert {r["location_name"] for r in listed["results"]} == {"Ash House", "Cedar House"}
        latest = api.get("/api/returns/latest/", {"as_of": DAY.isoformat()}).json()
        assert latest["count"] == 3
        summary = api.get("/api/returns/summary/", {"as_of": DAY.isoformat(),
                                                     "previous": "2020-05-28"}).json()
        assert summary["completion_rate"] == 75.0
        assert summary["measures"][0]["previous_pct"] == 100.0
        chase = api.get("/api/returns/chase/", {"as_of": DAY.isoformat()}).json()
        assert [r["name"] for r in chase] == ["Larch House"]
        bad = api.get("/api/returns/summary/", {"as_of": "June"})
        assert bad.status_code == 400 and "as_of" in bad.json()["error"]["fields"]

    def test_the_questions_are_published(self, make_user, cambs):
        api = client_for(make_user(Role.PROVIDER_USER, cambs,
                                   provider=LocationFactory(authority=cambs).provider))
        sets = api.get("/api/measure-sets/").json()
        care_home = next(s for s in sets if s["service_group"] == "care_home")
        assert care_home["measures"][0]["code"] == "beds_registered"
        assert {"code": "beds_occupied", "at_most": "beds_registered"} in care_home["rules"]
