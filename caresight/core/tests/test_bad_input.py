"""Bad input anywhere a date or an ID is read: a clear error naming the field, never a 500,
and never HTML from the API."""

import json

import pytest
from django.urls import reverse

from caresight.accounts.models import Role

PAGES = ["returns:summary", "returns:completeness", "outbreaks:tracker", "outbreaks:list",
         "risk:log", "risk:priorities", "registry:summary"]
API = ["/api/returns/latest/", "/api/returns/summary/", "/api/returns/chase/",
       "/api/outbreaks/tracker/", "/api/risk-log/", "/api/risk-log/priorities/"]
BAD_DATES = ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01", "2020-02-30", "yesterday"]


@pytest.fixture
def officer(client, make_user, cambs):
    user = make_user(Role.QUALITY_OFFICER, cambs)
    client.force_login(user)
    return user


def assert_json_error(response, http_status, field=None):
    assert response.status_code == http_status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == http_status
    assert error["message"]
    if field:
        assert field in error["fields"], error


@pytest.mark.django_db
class TestDatesOutOfRange:
    @pytest.mark.parametrize("name", PAGES)
    @pytest.mark.parametrize("day", BAD_DATES)
    def test_a_page_shows_an_error_summary_naming_the_date(self, client, officer, name, day):
        response = client.get(reverse(name), {"as_of": day})
        assert response.status_code == 400
        html = response.content.decode()
        assert "govuk-error-summary" in html
        assert 'href="#as_of"' in html
        assert "Date must be" in html or "As of must be" in html
        assert "<title>Error: " in html

    @pytest.mark.parametrize("param", ["since", "previous"])
    def test_the_second_date_of_a_page_is_checked_too(self, client, officer, param):
        name = "outbreaks:tracker" if param == "since" else "returns:summary"
        response = client.get(reverse(name), {param: "0001-01-01"})
        assert response.status_code == 400
        assert f'href="#{param}"' in response.content.decode()

    def test_a_download_for_a_bad_date_is_refused_not_made(self, client, make_user, cambs):
        client.force_login(make_user(Role.COMMISSIONER, cambs))
        response = client.get(reverse("risk:log"), {"as_of": "0001-01-01", "download": "csv"})
        assert response.status_code == 400
        assert "Content-Disposition" not in response
        assert "Date must be" in response.content.decode()

    def test_a_good_date_still_answers_200(self, client, officer):
        assert client.get(reverse("risk:log"), {"as_of": "2020-06-04"}).status_code == 200

    def test_the_location_timeline_checks_its_date(self, client, officer, cambs):
        from caresight.registry.tests.factories import LocationFactory

        location = LocationFactory(authority=cambs)
        response = client.get(reverse("returns:location", args=[location.pk]),
                              {"as_of": "0001-01-01"})
        assert response.status_code == 400

    @pytest.mark.parametrize("url", API)
    @pytest.mark.parametrize("day", BAD_DATES)
    def test_the_api_answers_400_naming_the_parameter(self, client, officer, url, day):
        assert_json_error(client.get(url, {"as_of": day}), 400, "as_of")

    @pytest.mark.parametrize("url, param", [
        ("/api/returns/", "from"), ("/api/returns/", "to"),
        ("/api/returns/summary/", "previous"), ("/api/outbreaks/tracker/", "since")])
    def test_every_api_date_parameter_is_checked(self, client, officer, url, param):
        assert_json_error(client.get(url, {param: "0001-01-01"}), 400, param)

    def test_saving_a_risk_log_for_a_bad_date_says_so(self, client, make_user, cambs):
        client.force_login(make_user(Role.QUALITY_OFFICER, cambs))
        response = client.post(reverse("risk:save"), {"authority": cambs.ons_code,
                                                      "as_of": "0001-01-01"}, follow=True)
        assert response.status_code == 200
        assert "Date must be between 1 January 2000 and 31 December 2099" in (
            response.content.decode())


@pytest.mark.django_db
class TestIdsOfTheWrongType:
    @pytest.mark.parametrize("url", ["/api/returns/", "/api/outbreaks/"])
    @pytest.mark.parametrize("value", ["abc", "²", "1.5", "-1", "١"])
    def test_a_query_id_that_is_not_a_number_is_a_400_naming_it(self, client, officer, url,
                                                                 value):
        assert_json_error(client.get(url, {"location": value}), 400, "location")

    @pytest.mark.parametrize("value", ["abc", "²"])
    def test_outbreak_pages_are_not_upset_by_a_location(self, client, officer, value):
        for name in ("outbreaks:tracker", "outbreaks:list"):
            assert client.get(reverse(name), {"location": value}).status_code == 200

    @pytest.mark.parametrize("url", [
        "/api/grant-rounds/null/reconciliation/", "/api/grant-rounds/abc/",
        "/api/outbreaks/null/", "/api/returns/²/", "/api/risk-overrides/1.5/"])
    def test_a_path_id_that_is_not_a_number_is_a_json_404(self, client, officer, url):
        assert_json_error(client.get(url), 404)

    def test_a_page_id_that_is_not_a_number_is_the_404_page(self, client, officer):
        response = client.get("/outbreaks/null/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
class TestNulCharacters:
    """PostgreSQL stores no NUL in text: a query value with one is refused before a view."""

    @pytest.mark.parametrize("url", ["/api/returns/chase/", "/api/locations/"])
    def test_the_api_answers_400_naming_the_parameter(self, client, officer, url):
        assert_json_error(client.get(url, {"authority": "E1\x00"}), 400, "authority")

    @pytest.mark.parametrize("content_type", ["application/json", "multipart"])
    def test_a_body_with_one_is_a_400_naming_where_it_is(self, client, make_user, cambs,
                                                         content_type):
        from caresight.registry.models import Location

        client.force_login(make_user(Role.COMMISSIONER, cambs))
        body = {"name": "Home", "authority": "E1\x00", "service_type": "other"}
        if content_type == "multipart":
            response = client.post("/api/locations/", body)
        else:
            response = client.post("/api/locations/", body, content_type=content_type)
        assert_json_error(response, 400, "authority")
        assert not Location.objects.filter(name="Home").exists()

    def test_a_page_answers_400_naming_the_field(self, client, officer):
        response = client.get(reverse("registry:location-list"), {"q": "a\x00b"})
        assert response.status_code == 400
        assert "must not contain a NUL character" in response.content.decode()


@pytest.mark.django_db
class TestApiErrorsAreNeverHtml:
    def test_an_unknown_api_address_is_a_json_404(self, client, officer):
        assert_json_error(client.get("/api/no-such-thing/"), 404)

    @pytest.mark.parametrize("value", ["0", "-5", "abc", "501", "²"])
    def test_a_bad_page_size_is_a_400(self, client, officer, value):
        assert_json_error(client.get("/api/returns/", {"page_size": value}), 400, "page_size")

    def test_a_good_page_size_is_taken(self, client, officer):
        assert client.get("/api/returns/", {"page_size": "500"}).status_code == 200

    def test_a_server_error_under_the_api_is_json(self, rf):
        from caresight.core.api import handler500

        response = handler500(rf.get("/api/returns/"))
        assert response.status_code == 500
        assert json.loads(response.content)["error"]["code"] == "server_error"

    def test_a_server_error_on_a_page_is_the_html_page(self, rf):
        from caresight.core.api import handler500

        response = handler500(rf.get("/returns/"))
        assert response.status_code == 500
        assert b"Sorry, there is a problem" in response.content

    def test_a_403_under_the_api_is_json(self, rf):
        from django.core.exceptions import PermissionDenied

        from caresight.core.api import handler403

        response = handler403(rf.get("/api/returns/"), PermissionDenied())
        assert response.status_code == 403
        assert json.loads(response.content)["error"]["status"] == 403


@pytest.mark.django_db
class TestDatesInFormsAndBodies:
    def test_a_form_refuses_a_date_out_of_range_naming_the_field(self):
        from caresight.risk.forms import ConcernCloseForm

        form = ConcernCloseForm(data={"closed_on": "0001-01-01"})
        assert not form.is_valid()
        assert form.errors["closed_on"] == [
            "Date closed must be between 1 January 2000 and 31 December 2099"]

    def test_a_page_form_shows_the_range_error(self, client, make_user, cambs):
        from caresight.registry.tests.factories import LocationFactory

        location = LocationFactory(authority=cambs)
        client.force_login(make_user(Role.QUALITY_OFFICER, cambs))
        response = client.post(reverse("outbreaks:report", args=[location.pk]), {
            "reported_on": "9999-12-31", "reported_by": "Manager", "kind": "suspected",
            "new_cases_residents": "1", "new_cases_staff": "0", "deaths": "0"})
        assert response.status_code == 200
        assert "Date reported must be between" in response.content.decode()

    def test_an_api_body_date_out_of_range_is_a_400_naming_it(self, client, make_user, cambs):
        from caresight.registry.tests.factories import LocationFactory

        location = LocationFactory(authority=cambs)
        client.force_login(make_user(Role.QUALITY_OFFICER, cambs))
        response = client.post("/api/risk-overrides/", {
            "location": str(location.pk), "rating": "red", "reason": "x",
            "starts_on": "0001-01-01"}, content_type="application/json")
        assert_json_error(response, 400, "starts_on")

    def test_a_command_line_date_out_of_range_is_refused(self):
        import argparse

        from caresight.core.timeutils import date_argument

        with pytest.raises(argparse.ArgumentTypeError, match="between 1 January 2000"):
            date_argument("1900-01-01")
