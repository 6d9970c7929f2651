"""Outbreaks and the risk log in a real browser: reporting, updating, overriding, IMTs, the
tracker and its lists, the line-list import, the risk log, overrides and the rules.

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.outbreaks.models import Outbreak
from caresight.outbreaks.services import Counts, outbreak_report
from caresight.outbreaks.tests.test_import import line_list
from caresight.registry.tests.factories import LocalityFactory, LocationFactory
from caresight.risk.models import Override, SavedLog

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def home(cambs):
    return LocationFactory(authority=cambs, name="Willow Court", cqc_location_id="1-111111111",
                           locality=LocalityFactory(authority=cambs, name="Hunts"))


@pytest.fixture
def officer(cambs, make_user):
    return make_user(Role.PUBLIC_HEALTH, cambs, email="hannah@publichealth.example")


def menu(page: Page):
    return page.get_by_role("navigation", name="Menu")


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def test_an_officer_reports_an_outbreak_updates_it_and_holds_an_imt(page, home, officer):
    today = timezone.localdate()
    sign_in(page, officer.email)
    menu(page).get_by_role("link", name="Outbreaks").click()
    expect(heading(page)).to_contain_text("Outbreak update as of")
    audit(page, "outbreak tracker")

    page.get_by_role("link", name="Report an outbreak").click()
    page.get_by_label("Find the service").fill("willow")
    page.get_by_role("button", name="Search").click()
    audit(page, "report search")
    page.get_by_role("link", name="Willow Court").click()
    expect(heading(page)).to_have_text("Report an outbreak")
    audit(page, "report form")

    page.get_by_label("Deaths").fill("-1")
    page.get_by_role("button", name="Report outbreak").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Deaths must be 0 or more")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose who reported it")
    audit(page, "report form with errors")
    page.get_by_label("Deaths").fill("0")
    page.get_by_label("Public health").check()
    page.get_by_label("Confirmed").check()
    page.get_by_label("New cases among residents").fill("3")
    page.get_by_role("button", name="Report outbreak").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Outbreak at Willow Court reported.")
    expect(page.get_by_test_id("status")).to_have_text("Live")
    closes = today + dt.timedelta(days=28)
    expect(page.get_by_test_id("status-changes")).to_contain_text(
        f"Expected to close on {closes.day} {closes:%B %Y}, if no new case")
    audit(page, "outbreak detail")

    page.get_by_role("link", name="Add an update").click()
    audit(page, "update form")
    page.get_by_label("Confirmed").check()
    page.get_by_label("New cases among staff").fill("1")
    page.get_by_role("button", name="Save update").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("already recorded")
    audit(page, "update form with errors")

    page.get_by_role("link", name="Back").click()
    page.get_by_role("link", name="Change the status").click()
    page.get_by_label("De-escalation pathway").check()
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Give the reason for changing the status by hand.")
    audit(page, "status override with errors")
    page.get_by_label("Reason").fill("All residents tested negative twice")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_test_id("status")).to_have_text("De-escalation pathway")
    expect(page.get_by_test_id("status-changes")).to_contain_text(
        "All residents tested negative twice")

    page.get_by_role("link", name="Record an IMT meeting").click()
    page.get_by_label("Who attended").fill("Director of Public Health\nCCG lead")
    page.get_by_role("button", name="Save meeting").click()
    page.get_by_label("Action").fill("Whole-home testing")
    page.get_by_label("Owner").fill("CCG")
    page.get_by_label("Due by").fill(today.isoformat())
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_test_id("actions")).to_contain_text("Whole-home testing")
    audit(page, "IMT meeting")
    page.get_by_test_id("actions").get_by_role("button", name=re.compile("^Mark done")).click()
    expect(page.get_by_test_id("actions")).not_to_contain_text("Mark done")

    menu(page).get_by_role("link", name="Outbreaks").click()
    expect(page.get_by_test_id("de_escalation")).to_have_text("1")
    page.get_by_test_id("de_escalation").click()
    expect(heading(page)).to_have_text("On the de-escalation pathway (1)")
    expect(page.get_by_test_id("outbreak-list")).to_contain_text("Willow Court")
    expect(page.get_by_role("link", name="CSV On the de-escalation pathway")).to_be_visible()
    audit(page, "outbreak list")
    assert Outbreak.objects.get().history.first().history_user == officer


def test_an_officer_imports_a_line_list(page, home, officer, tmp_path):
    sign_in(page, officer.email)
    page.goto("/outbreaks/import/")
    audit(page, "line list import")
    upload = tmp_path / "line-list.csv"
    upload.write_bytes(line_list(["1-111111111,2020-06-01,suspected,2,0,0",
                                  "1-111111111,2020-06-05,confirmed,1,1,1"]))
    page.get_by_label("Upload a file").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()
    expect(heading(page)).to_have_text("Check the changes before you import", timeout=8_000)
    expect(page.get_by_test_id("count-outbreaks-opened")).to_have_text("1")
    expect(page.get_by_test_id("count-updates-added")).to_have_text("1")
    audit(page, "line list preview")
    page.get_by_role("button", name="Confirm and import").click()
    expect(heading(page)).to_have_text("Import complete", timeout=8_000)
    assert Outbreak.objects.get().closed_on == dt.date(2020, 7, 3)
    page.get_by_role("link", name="Go to the outbreak tracker").click()
    page.goto("/outbreaks/?as_of=2020-06-10")
    expect(page.get_by_test_id("live")).to_have_text("1")
    expect(page.get_by_test_id("by-locality")).to_contain_text("Hunts")


def test_a_quality_officer_works_the_risk_log(page, home, cambs, make_user):
    outbreak_report(location=home, reported_on=timezone.localdate() - dt.timedelta(days=2),
                    reported_by="provider", counts=Counts(kind="confirmed"), user=OPERATOR)
    calm = LocationFactory(authority=cambs, name="Ash House")
    officer = make_user(Role.QUALITY_OFFICER, cambs, email="tom@quality.example")
    sign_in(page, officer.email)
    menu(page).get_by_role("link", name="Risk log").click()
    expect(heading(page)).to_contain_text("COVID-19 risk log")
    expect(page.get_by_test_id("rating-counts")).to_contain_text("1 red, 1 amber, 0 green")
    expect(page.get_by_test_id("risk-log").locator("tbody tr").first).to_contain_text(
        "Willow Court")
    audit(page, "risk log")

    page.get_by_role("link", name="Ash House").click()
    expect(page.get_by_test_id("reasons")).to_contain_text("No current return")
    audit(page, "risk of a service")
    page.get_by_role("link", name="Override the rating").click()
    page.get_by_label("Red").check()
    page.get_by_role("button", name="Override rating").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Give the reason for overriding the rating.")
    audit(page, "override with errors")
    page.get_by_label("Reason").fill("Manager resigned; weekly calls")
    page.get_by_role("button", name="Override rating").click()
    expect(page.get_by_test_id("overrides")).to_contain_text("Manager resigned; weekly calls")
    assert Override.objects.get().location == calm

    page.get_by_role("link", name="Record a quality concern").click()
    page.get_by_label("Complaint").check()
    page.get_by_label("The concern").fill("Call bells unanswered")
    page.get_by_role("button", name="Save concern").click()
    expect(page.get_by_test_id("concerns")).to_contain_text("Call bells unanswered")

    menu(page).get_by_role("link", name="Risk log").click()
    expect(page.get_by_test_id("rating-counts")).to_contain_text("2 red, 0 amber, 0 green")
    page.get_by_role("button", name="Save the log").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is saved")
    assert SavedLog.objects.filter(kind=SavedLog.Kind.SAVED).count() == 1
    page.get_by_role("link", name="Whom to support or test first").click()
    expect(page.get_by_test_id("priorities").locator("tbody tr")).to_have_count(2)
    audit(page, "priorities")

    page.goto("/risk/rules/")
    audit(page, "risk rules")
    page.get_by_role("link", name=re.compile("Change")).first.click()
    audit(page, "risk rules form")
    page.get_by_label("Small provider: rating when it applies").select_option("red")
    page.get_by_role("button", name="Save rules").click()
    expect(page.get_by_role("table").first).to_contain_text("Small provider")
