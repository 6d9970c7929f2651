"""The risk log's and whom-to-support-first's pages and downloads: every row, counted."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.outbreaks.tests.test_services import report
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers

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
                      answers=care_home_answers(**CALM), user=None)
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
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert len(rows) == 61
        assert [row["priority"] for row in rows] == [str(n) for n in range(1, 62)]
        assert rows[0]["name"] == "Outbreak House"
        assert {row["name"] for row in rows[1:]} == {f"Quiet Home {n:02d}" for n in range(60)}

    def test_the_api_gives_the_full_list_too(self, client, many):
        client.force_login(many["officer"])
        data = client.get("/api/risk-log/priorities/", {"as_of": DAY.isoformat()}).json()
        assert len(data) == 61
