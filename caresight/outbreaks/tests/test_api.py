"""The outbreaks and risk APIs over real HTTP routes."""

import pytest

from caresight.accounts.models import Role
from caresight.outbreaks.models import Outbreak
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.tests.test_api import client_for


@pytest.mark.django_db
class TestOutbreaksApi:
    def test_report_update_override_and_read_the_tracker(self, cambs, make_user):
        home = LocationFactory(authority=cambs)
        api = client_for(make_user(Role.PUBLIC_HEALTH, cambs))
        created = api.post("/api/outbreaks/", {
            "location": str(home.pk), "reported_on": "2020-06-01", "reported_by": "cqc",
            "kind": "suspected", "new_cases_residents": 1}, format="json")
        assert created.status_code == 201, created.json()
        outbreak_id = created.json()["id"]
        assert created.json()["closed_on"] == "2020-06-29"
        updated = api.post(f"/api/outbreaks/{outbreak_id}/updates/", {
            "on": "2020-06-05", "kind": "confirmed", "new_cases_staff": 2}, format="json")
        assert updated.json()["kind"] == "confirmed"
        assert updated.json()["last_case_on"] == "2020-06-05"
        refused = api.post(f"/api/outbreaks/{outbreak_id}/status/", {
            "on": "2020-06-06", "status": "closed", "reason": ""}, format="json")
        assert refused.status_code == 400
        assert refused.json()["error"]["fields"]["reason"] == [
            "Give the reason for changing the status by hand."]
        tracker = api.get("/api/outbreaks/tracker/", {"as_of": "2020-06-10"}).json()
        assert (tracker["live"], tracker["on_tracker"], tracker["rows"][0]["status"]) == (
            1, 1, "live")

    def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(self, cambs, make_user):
        home = LocationFactory(authority=cambs)
        api = client_for(make_user(Role.QUALITY_OFFICER, cambs))
        body = {"location": str(home.pk), "reported_on": "2099-01-01",
                "reported_by": "provider", "kind": "confirmed"}
        future = api.post("/api/outbreaks/", body, format="json")
        assert future.json()["error"]["fields"] == {"reported_on": ["1 January 2099 is in the "
                                                                    "future."]}
        negative = api.post("/api/outbreaks/", {**body, "reported_on": "2020-06-01",
                                                "deaths": -2}, format="json")
        assert negative.status_code == 400
        assert negative.json()["error"]["fields"] == {"deaths": [
            "Deaths must be a whole number, 0 or more."]}
        assert not Outbreak.objects.exists()
        assert api.get("/api/outbreaks/", {"location": "abc"}).json()["error"]["fields"] == {
            "location": ["Service must be an ID (a whole number)"]}
        bad_date = api.get("/api/outbreaks/tracker/", {"as_of": "4/6/2020"})
        assert bad_date.json()["error"]["fields"]["as_of"] == [
            "Date must be a real date, like 2020-06-04"]

    def test_the_risk_log_and_an_override(self, cambs, make_user):
        home = LocationFactory(authority=cambs, name="Ash House")
        api = client_for(make_user(Role.QUALITY_OFFICER, cambs))
        override = api.post("/api/risk-overrides/", {
            "location": str(home.pk), "rating": "red", "reason": "IMT concern",
            "starts_on": "2020-06-01", "expires_on": "2020-06-30"}, format="json")
        assert override.status_code == 201, override.json()
        log = api.get("/api/risk-log/", {"as_of": "2020-06-04"}).json()
        assert (log[0]["name"], log[0]["rating"], log[0]["computed_rating"]) == (
            "Ash House", "red", "amber")
        partner = client_for(make_user(Role.PARTNER, cambs))
        assert partner.get("/api/risk-log/priorities/",
                           {"as_of": "2020-06-04"}).json()[0]["name"] == "Ash House"
        assert partner.post("/api/risk-overrides/", {}, format="json").status_code == 403
