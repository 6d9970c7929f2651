"""Provider returns in a real browser: submitting, on a provider's behalf, the summary, the
chase list and the Capacity Tracker import.

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.models import Return
from caresight.returns.services import return_submit
from caresight.returns.tests.test_import import care_home_row, to_csv
from caresight.returns.tests.test_submit import care_home_answers
from caresight.returns.tests.test_summary import DAY, WEEK_BEFORE, area  # noqa: F401 (fixture)

from .conftest import audit, sign_in

# Authorities and measure sets come from data migrations; a transactional test flushes the
# database afterwards, so serialized rollback restores them for the next test.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def page_date(day: dt.date) -> str:
    """As the pages write a day in full (Django's "j F Y")."""
    return f"{day.day} {day:%B %Y}"


@pytest.fixture
def home(cambs):
    return LocationFactory(authority=cambs, name="Willow Court", registered_beds=40)


@pytest.fixture
def manager(home, cambs, make_user):
    return make_user(Role.PROVIDER_USER, cambs, provider=home.provider,
                     email="morgan@willowcourt.example")


@pytest.fixture
def commissioner(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs, email="casey@cambridgeshire.example")


def menu(page: Page):
    return page.get_by_role("navigation", name="Menu")


def banners(page: Page):
    return page.locator(".govuk-notification-banner")


def timeline_rows(page: Page):
    return page.get_by_test_id("timeline").locator("tbody tr")


def fill_return(page: Page, answers: dict) -> None:
    """Answer every question of the return form as a person would: type, or pick an option."""
    form = page.locator("main form")
    for code, value in answers.items():
        field = form.locator(f'[name="{code}"]')
        if field.first.get_attribute("type") == "radio":
            form.locator(f'input[name="{code}"][value="{value}"]').check()
        else:
            field.fill(value)


def test_a_care_home_manager_submits_corrects_and_resubmits(page, home, manager):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    today = timezone.localdate()
    # Yesterday's return: the form starts from it, and today's figures are compared with it.
    return_submit(location=home, for_date=yesterday, answers=care_home_answers(), user=manager)

    sign_in(page, manager.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("What is due from you")
    page.get_by_test_id("link-provider_returns_due").click()
    expect(page).to_have_url(re.compile(r"/returns/submit/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit a return")
    rows = page.get_by_test_id("submit-list").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td")).to_have_text(
        ["Willow Court", "Cambridgeshire", page_date(yesterday),
         "Submit a return for Willow Court"])
    navigation = menu(page)
    expect(navigation.get_by_role("link", name="Submit a return")).to_have_attribute(
        "aria-current", "page")
    expect(navigation.get_by_role("link", name="Returns", exact=True)).to_have_count(0)
    audit(page, "submit list")

    page.get_by_role("link", name="Submit a return for Willow Court").click()
    expect(page).to_have_url(re.compile(rf"/returns/locations/{home.pk}/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit a return")
    expect(page.locator(".govuk-caption-l")).to_have_text("Willow Court")
    expect(page.locator(".govuk-inset-text")).to_have_count(0)  # the provider's own return
    expect(page.get_by_text(
        f"The answers from the last return ({page_date(yesterday)})")).to_be_visible()
    expect(page.get_by_label("Date these answers are for")).to_have_value(today.isoformat())
    beds = page.get_by_label("Occupied beds", exact=True)
    expect(beds).to_have_value("35")
    expect(page.locator("#id_ipc_isolate_residents_0")).to_be_checked()
    audit(page, "submit form")

    beds.fill("45")
    page.get_by_role("button", name="Submit return").click()

    message = "Occupied beds (45) cannot be more than registered beds (40)"
    expect(page).to_have_title(re.compile(r"^Error: Return for Willow Court – "))
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text([message])
    expect(summary).to_be_focused()
    expect(page.locator("#id_beds_occupied-error")).to_have_text(f"Error: {message}")
    expect(beds).to_have_value("45")
    # (That the input itself is marked as in error is checked below, in an expected failure.)
    assert not Return.objects.filter(location=home, for_date=today).exists()
    audit(page, "submit form with errors")
    summary.get_by_role("link", name=message).click()
    expect(beds).to_be_focused()

    beds.fill("36")
    page.get_by_role("button", name="Submit return").click()

    expect(page).to_have_url(re.compile(rf"/returns/locations/{home.pk}/$"))
    success = page.locator(".govuk-notification-banner--success")
    expect(success.get_by_role("heading")).to_have_text("Success")
    expect(success.locator(".govuk-notification-banner__heading")).to_have_text(
        f"Return for Willow Court on {page_date(today)} saved.")
    expect(banners(page)).to_have_count(1)  # no warnings: 35 to 36 is no jump
    expect(page.get_by_role("heading", level=1)).to_have_text("Returns for Willow Court")
    expect(page.locator("figure.cs-chart svg")).to_be_visible()
    header = page.get_by_test_id("timeline").locator("thead th")
    expect(header).to_have_text([
        "Date", "Occupied beds", "Vacant beds", "Residents with confirmed COVID-19",
        "Residents with suspected COVID-19", "Care workers absent because of COVID-19",
        "Entered by"])
    rows = timeline_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("th")).to_have_text(page_date(yesterday))
    expect(rows.nth(1).locator("th")).to_have_text(page_date(today))
    expect(rows.nth(1).locator("td")).to_have_text(["36", "5", "0", "1", "2", "Provider"])
    audit(page, "service returns after submitting")

    # The same day again, with a sudden jump in staff absence: warned about, but saved.
    page.get_by_role("button", name="Submit a return").click()
    expect(page.get_by_label("Occupied beds", exact=True)).to_have_value("36")
    absent = page.get_by_label("Care workers absent because of COVID-19", exact=True)
    expect(absent).to_have_value("2")
    absent.fill("20")
    page.get_by_role("button", name="Submit return").click()

    expect(page).to_have_url(re.compile(rf"/returns/locations/{home.pk}/$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Return for Willow Court on {page_date(today)} saved (version 2).")
    warning = banners(page).filter(has_text="went from")
    expect(warning).to_have_count(1)
    expect(warning).not_to_have_class(re.compile(r"--success"))
    expect(warning).to_contain_text(
        "Care workers absent because of COVID-19 went from 2 to 20 since the return for "
        f"{page_date(timezone.localdate() - dt.timedelta(days=1))}. "
        "Check it is right.")
    rows = timeline_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("th")).to_have_text(f"{page_date(today)} (version 2)")
    expect(rows.nth(1).locator("td")).to_have_text(["36", "5", "0", "1", "20", "Provider"])
    ret = Return.objects.get(location=home, for_date=today)
    assert ret.version == 2 and ret.values["care_workers_absent_covid"] == 20
    assert ret.source == Return.Source.PROVIDER and ret.submitted_by == manager
    audit(page, "service returns with a warning")

    menu(page).get_by_role("link", name="Submit a return").click()
    row = page.get_by_test_id("submit-list").locator("tbody tr")
    expect(row.locator("td").nth(2)).to_have_text(f"{page_date(today)} Today")


def test_a_refused_answer_marks_its_input_and_links_the_message(page, home, manager):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    return_submit(location=home, for_date=yesterday, answers=care_home_answers(), user=manager)
    sign_in(page, manager.email)
    page.goto(f"/returns/locations/{home.pk}/new/")
    beds = page.get_by_label("Occupied beds", exact=True)
    beds.fill("45")
    page.get_by_role("button", name="Submit return").click()
    expect(page.locator("#id_beds_occupied-error")).to_be_visible()
    expect(beds).to_have_attribute("aria-describedby", re.compile(r"id_beds_occupied-error"),
                                   timeout=1_000)
    expect(beds).to_have_class(re.compile(r"govuk-input--error"), timeout=1_000)


def test_an_officer_enters_a_return_on_the_providers_behalf(page, home, cambs, make_user):
    officer = make_user(Role.QUALITY_OFFICER, cambs, email="olu@cambridgeshire.example")
    today = timezone.localdate()
    sign_in(page, officer.email)
    menu(page).get_by_role("link", name="Submit a return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit a return")
    row = page.get_by_test_id("submit-list").locator("tbody tr").filter(has_text="Willow Court")
    expect(row.locator("td").nth(2)).to_have_text("Never")
    row.get_by_role("link", name="Submit a return for Willow Court").click()

    expect(page.locator(".govuk-inset-text")).to_have_text(
        "You are entering this return on the provider's behalf. "
        "It will be recorded as entered by a council officer.")
    # No earlier return: nothing is filled in.
    expect(page.get_by_text("The answers from the last return")).to_have_count(0)
    expect(page.get_by_label("Occupied beds", exact=True)).to_have_value("")
    audit(page, "submit form on the provider's behalf")

    fill_return(page, care_home_answers())
    page.get_by_role("button", name="Submit return").click()

    expect(page).to_have_url(re.compile(rf"/returns/locations/{home.pk}/$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Return for Willow Court on {page_date(today)} saved.")
    rows = timeline_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").last).to_have_text("Council officer on the provider's behalf")
    audit(page, "service returns, entered by an officer")

    rows.first.get_by_role("link", name=page_date(today)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Return for {page_date(today)}")
    expect(page.locator("main")).to_contain_text(
        f"Version 1, council officer on the provider's behalf, {page_date(today)}")
    expect(page.locator("main")).to_contain_text(f"by {officer.email}.")
    isolate = page.locator(".govuk-summary-list__row").filter(
        has=page.locator("dt", has_text=re.compile(r"^Ability to isolate residents$")))
    expect(isolate.locator("dd")).to_have_text("Yes")
    ret = Return.objects.get(location=home)
    assert ret.source == Return.Source.OFFICER and ret.submitted_by == officer
    assert ret.values["beds_occupied"] == 35 and ret.values["visiting_status"] == "restricted"
    audit(page, "return detail")


def test_a_commissioner_reads_the_summary_and_chases_who_has_not_returned(
        page, area, commissioner):  # noqa: F811 (the area fixture)
    sign_in(page, commissioner.email)
    menu(page).get_by_role("link", name="Returns", exact=True).click()
    expect(page).to_have_url(re.compile(r"/returns/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Returns summary")
    expect(menu(page).get_by_role("link", name="Returns", exact=True)).to_have_attribute(
        "aria-current", "page")
    audit(page, "returns summary, today")

    form = page.locator("main form")
    form.get_by_label("Date (optional)").fill(DAY.isoformat())
    form.get_by_label("Compare with (optional)").fill(WEEK_BEFORE.isoformat())
    form.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"as_of=2020-06-04&previous=2020-05-28"))
    expect(form.get_by_label("Date (optional)")).to_have_value("2020-06-04")
    expect(form.get_by_label("Compare with (optional)")).to_have_value("2020-05-28")
    expect(page.get_by_test_id("completion")).to_contain_text(
        "3 of 4 services (75.0%) have a current return on 4 June 2020.")
    ipc = page.get_by_test_id("ipc-measures")
    expect(ipc.locator("caption")).to_have_text(
        "% of care homes reporting the measure is in place, 4 June 2020 against 28 May 2020")
    expect(ipc.locator("tbody tr")).to_have_count(13)
    isolate = ipc.locator("tbody tr").filter(has_text="Ability to isolate residents")
    expect(isolate.locator("td")).to_have_text(["33.3%", "100.0%", "3", "4"])
    staff_movement = ipc.locator("tbody tr").filter(has_text="restrict staff movement")
    expect(staff_movement.locator("td")).to_have_text(["100.0%", "100.0%", "3", "4"])
    beds = page.get_by_test_id("beds-by-locality").locator("tbody tr")
    expect(beds).to_have_count(3)
    expect(beds.nth(0).locator("td")).to_have_text(
        ["East Cambridgeshire", "Care home with nursing", "40", "35", "5", "1"])
    expect(beds.nth(1).locator("td")).to_have_text(
        ["East Cambridgeshire", "Care home without nursing", "40", "35", "5", "1"])
    expect(beds.nth(2).locator("td")).to_have_text(
        ["Fenland", "Care home without nursing", "40", "35", "5", "1"])
    # Devon's home is not counted.
    expect(page.get_by_text("Dartmoor House")).to_have_count(0)
    audit(page, "returns summary, 4 June 2020")

    page.get_by_role("link", name="See who has not returned").click()
    expect(page).to_have_url(re.compile(r"/returns/completeness/\?as_of=2020-06-04"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Who has not returned")
    expect(page.get_by_test_id("missing-count")).to_have_text(
        "1 service without a current return on 4 June 2020.")
    chase = page.get_by_test_id("chase-list")
    expect(chase).to_have_count(1)
    expect(chase.locator("caption")).to_have_text("Fenland (1)")
    larch = chase.locator("tbody tr")
    expect(larch).to_have_count(1)
    expect(larch.locator("td")).to_have_text([
        re.compile(r"^Larch House"), "28 May 2020", "Sam Example", "01223 000000", "–"])
    expect(larch.get_by_role("link", name="Larch House")).to_have_attribute(
        "href", f"/returns/locations/{area['late'].pk}/")
    for name in ("Ash House", "Beech House", "Cedar House", "Dartmoor House"):
        expect(page.get_by_text(name)).to_have_count(0)

    expect(page.locator("figure.cs-chart svg")).to_be_visible()
    expect(page.locator("figure.cs-chart figcaption")).to_contain_text("to 4 June 2020")
    weeks = page.get_by_test_id("completion-over-time").locator("tbody tr")
    expect(weeks).to_have_count(12)
    expect(weeks.nth(9).locator("th, td")).to_have_text(["21 May 2020", "4", "0", "0.0%"])
    expect(weeks.nth(10).locator("th, td")).to_have_text(["28 May 2020", "4", "4", "100.0%"])
    expect(weeks.nth(11).locator("th, td")).to_have_text(["4 June 2020", "4", "3", "75.0%"])
    audit(page, "chase list")

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV chase list").click()
    download = info.value
    assert download.suggested_filename == "returns-chase-list-2020-06-04.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert len(rows) == 1
    assert {key: rows[0][key] for key in ("CQC location ID", "Service", "Authority",
                                          "Locality", "Last return", "Manager", "Phone")} == {
        "CQC location ID": area["late"].cqc_location_id, "Service": "Larch House",
        "Authority": "Cambridgeshire", "Locality": "Fenland", "Last return": "2020-05-28",
        "Manager": "Sam Example", "Phone": "01223 000000",
    }


def test_a_commissioner_imports_a_capacity_tracker_export(page, home, commissioner, tmp_path):
    sign_in(page, commissioner.email)
    menu(page).get_by_role("link", name="Import returns").click()
    expect(page).to_have_url(re.compile(r"/returns/import/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import Capacity Tracker returns")
    audit(page, "returns import")

    page.get_by_role("button", name="Check the file").click()  # no file chosen
    expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    expect(page.locator("#id_file-error")).to_be_visible()
    audit(page, "returns import with errors")

    # Tasks run at once in tests (the immediate backend), so the preview is usually ready; a
    # slower run shows progress and refreshes itself every two seconds.
    upload = tmp_path / "capacity-tracker.csv"
    upload.write_bytes(to_csv([care_home_row(home.cqc_location_id)]))
    page.get_by_label("Upload a file").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()

    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Check the changes before you import", timeout=8_000)
    expect(page.locator(".govuk-caption-l")).to_have_text("capacity-tracker.csv")
    expect(page.get_by_test_id("count-created")).to_have_text("1")
    expect(page.get_by_test_id("count-updated")).to_have_text("0")
    expect(page.get_by_test_id("count-unchanged")).to_have_text("0")
    expect(page.get_by_test_id("count-outside-your-authorities-left-alone")).to_have_text("0")
    assert not Return.objects.exists()
    audit(page, "returns import preview")

    page.get_by_role("button", name="Confirm and import").click()
    expect(heading).to_have_text("Import complete", timeout=8_000)
    expect(page.get_by_role("table")).to_contain_text("What changed")
    expect(page.get_by_test_id("count-created")).to_have_text("1")
    expect(page.get_by_role("button", name="Confirm and import")).to_have_count(0)
    ret = Return.objects.get(location=home)
    assert ret.for_date == DAY and ret.source == Return.Source.IMPORT
    assert ret.values["beds_registered"] == 40 and ret.values["care_workers_absent_covid"] == 3
    audit(page, "returns import result")

    page.get_by_role("link", name="See who has returned").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who has not returned")

    # A row for a service that is not on the register: nothing is imported, the row is named.
    bad = tmp_path / "unknown.csv"
    bad.write_bytes(to_csv([care_home_row(home.cqc_location_id),
                            care_home_row("1-999999999", location="Nowhere House")]))
    menu(page).get_by_role("link", name="Import returns").click()
    page.get_by_label("Upload a file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()

    expect(heading).to_have_text("The file cannot be imported", timeout=8_000)
    expect(page.locator(".govuk-caption-l")).to_have_text("unknown.csv")
    expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    problems = page.get_by_test_id("import-errors")
    expect(problems.locator("caption")).to_have_text("Problems, row by row")
    expect(problems.locator("tbody tr")).to_have_count(1)
    expect(problems.locator("tbody tr td")).to_have_text([
        "3", "cqcid", "'1-999999999' is not the CQC location ID of any service on the register"])
    expect(page.get_by_role("button", name="Confirm and import")).to_have_count(0)
    assert Return.objects.get(location=home).version == 1
    audit(page, "returns import with row problems")

    page.get_by_role("link", name="Upload a corrected file").click()
    expect(page).to_have_url(re.compile(r"/returns/import/$"))
