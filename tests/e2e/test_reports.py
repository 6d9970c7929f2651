"""Generated reports in a real browser: a commissioner adds a narrative entry (refused first
with no text), builds the weekly highlight report for the week, downloads its PDF and Word
files, publishes it, is refused a second publication, and sees the published report say that
the live figures have changed once a late week of absences arrives.

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import datetime as dt
import io
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from caresight.accounts.models import Role
from caresight.reports.models import NarrativeEntry, PublishedReport
from caresight.workforce.tests.factories import team, week

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def heading(page: Page):
    return page.get_by_role("heading", level=1)


@pytest.fixture
def commissioner(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs, email="caroline@commissioning.example")


def test_a_commissioner_writes_builds_and_publishes_the_highlight_report(page, cambs,
                                                                         commissioner):
    today = dt.date.today()
    monday = today - dt.timedelta(days=today.weekday())
    week(team(cambs), on=monday, absent_shielding=15)
    sign_in(page, commissioner.email)
    page.goto("/reports/")
    expect(heading(page)).to_have_text("Reports")
    audit(page, "reports")

    page.get_by_role("link", name="Add a narrative entry").first.click()
    audit(page, "narrative entry form")
    page.get_by_label("Section").select_option(label="Recovery activities")
    page.get_by_role("button", name="Add entry").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter")
    assert NarrativeEntry.objects.count() == 0
    page.get_by_label("Service area (optional)").fill("Adults")
    page.get_by_label("Entry").fill("Day services mobilised at <b>reduced</b> capacity.")
    page.get_by_role("button", name="Add entry").click()
    expect(page.get_by_test_id("entries")).to_contain_text("Day services mobilised")
    audit(page, "narrative entries")

    page.goto("/reports/")
    page.get_by_label("Report", exact=True).select_option(label="Weekly highlight report")
    page.get_by_role("button", name="Build the report").click()
    expect(heading(page)).to_have_text(
        "Service highlight report – COVID-19 and key service updates")
    recovery = page.get_by_test_id("section-recovery")
    expect(recovery).to_contain_text("Day services mobilised at <b>reduced</b> capacity.")
    expect(page.get_by_test_id("section-workforce")).to_contain_text("15")
    audit(page, "highlight report (draft)")
    page.screenshot(path="/tmp/report-draft.png", full_page=True)

    with page.expect_download() as pdf:
        page.get_by_test_id("draft-downloads").get_by_role("link", name="PDF").click()
    text = "".join(p.extract_text() for p in PdfReader(pdf.value.path()).pages)
    assert "Day services mobilised at <b>reduced</b> capacity." in text
    with page.expect_download() as docx:
        page.get_by_test_id("draft-downloads").get_by_role("link", name="Word").click()
    paragraphs = [p.text for p in Document(docx.value.path()).paragraphs]
    assert "Recovery activities" in paragraphs

    page.get_by_test_id("publish").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is published")
    expect(page.get_by_test_id("changes")).to_contain_text(
        "are the same as when this report was published")
    audit(page, "published report")
    report = PublishedReport.objects.get()
    assert page.get_by_test_id("figures-hash").inner_text() == report.figures_sha256

    week(team(cambs, name="Brokerage"), on=monday, absent_symptoms=4)
    page.reload()
    expect(page.get_by_test_id("changes")).to_contain_text(
        "have changed since this report was published")
    expect(page.get_by_test_id("changes-table")).to_be_visible()
    audit(page, "published report with changes")
    page.screenshot(path="/tmp/report-published.png", full_page=True)
    with page.expect_download() as published_pdf:
        page.get_by_test_id("published-downloads").get_by_role("link", name="PDF").click()
    assert Path(published_pdf.value.path()).read_bytes() == bytes(report.pdf)
    assert "Brokerage" not in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(bytes(report.pdf))).pages)

    page.go_back()
    page.goto(f"/reports/build/?kind=highlight&authority={cambs.ons_code}"
              f"&as_of={today.isoformat()}")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Already published")
    expect(page.get_by_test_id("publish")).to_have_count(0)


def test_report_settings_and_a_bad_period(page, cambs, commissioner):
    sign_in(page, commissioner.email)
    page.goto(f"/reports/settings/{cambs.ons_code}/highlight/")
    audit(page, "report settings")
    page.get_by_label("Report author").fill("Caroline Townsend")
    page.get_by_label("Sections").fill("recovery | Recovery | fuel")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "there is no data section called “fuel”")
    audit(page, "report settings with errors")
    page.get_by_label("Sections").fill("recovery | Recovery activities\n"
                                       "workforce | Workforce | workforce")
    page.get_by_role("button", name="Save settings").click()
    expect(heading(page)).to_have_text("Reports")

    page.goto(f"/reports/build/?kind=highlight&authority={cambs.ons_code}"
              "&as_of=2020-11-30&from=2020-12-04")
    expect(page.get_by_test_id("report-errors")).to_contain_text("after it ends")
    audit(page, "report refused")
