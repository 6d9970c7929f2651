"""Report schedules in a real browser: a commissioner adds a weekly schedule for the
highlight report, refused first for a malformed address in the distribution list, and sees it
listed. Every page visited is checked with axe-core (see `audit` in conftest.py)."""

import pytest
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role
from caresight.reports.models import ReportSchedule

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def commissioner(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs, email="priya@commissioning.example")


def test_a_commissioner_schedules_the_weekly_highlight_report(page: Page, cambs,
                                                              commissioner):
    sign_in(page, commissioner.email)
    page.goto("/reports/")
    page.get_by_role("link", name="Report schedules and distribution lists for "
                                  "Cambridgeshire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report schedules")
    audit(page, "report schedules, none yet")
    page.get_by_role("link", name="Schedule a report").click()
    page.get_by_label("Report", exact=True).select_option("highlight")
    page.get_by_label("Weekly", exact=True).check()
    page.get_by_label("Day of the week (weekly)").select_option("0")
    page.get_by_label("Time").fill("08:00")
    page.get_by_label("Distribution list").fill("dass@example.org\ndph@@example")
    page.get_by_role("button", name="Add schedule").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("dph@@example")
    audit(page, "schedule form with errors")
    assert not ReportSchedule.objects.exists()
    page.get_by_label("Distribution list").fill("dass@example.org\ndph@example.org")
    page.get_by_role("button", name="Add schedule").click()
    expect(page.get_by_test_id("schedules")).to_contain_text("Every Monday at 08:00")
    expect(page.get_by_test_id("schedules")).to_contain_text("dph@example.org")
    audit(page, "report schedules")
    assert ReportSchedule.objects.get().recipients == ["dass@example.org", "dph@example.org"]
