"""Beds in a real browser: a brokerage officer finds a free bed, places someone (with an NHS
number that is never shown back), is refused a second person in the same bed on the same day,
records a discharge, reads and downloads the daily sitrep and opens the money page; a
provider's manager sees the placement in their own home without the NHS number.

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role
from caresight.beds.models import Placement
from caresight.beds.pseudonyms import nhs_number_hash
from caresight.beds.tests.factories import VALID_NHS_NUMBER, placement, scheme
from caresight.core.timeutils import long_date
from caresight.registry.tests.factories import LocationFactory, ProviderFactory

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def error_summary(page: Page):
    return page.locator(".govuk-error-summary")


def banner(page: Page):
    return page.locator(".govuk-notification-banner")


@pytest.fixture
def orchard(cambs):
    """Two step-down beds at Orchard House from four weeks ago, one taken ten days ago."""
    today = timezone.localdate()
    provider = ProviderFactory(name="Orchard Care Ltd")
    home = LocationFactory(authority=cambs, provider=provider, name="Orchard House")
    beds = scheme(cambs, name="Orchard House step-down", location=home, beds=2,
                  starts_on=today - dt.timedelta(days=28), weekly_rate="700.00")
    first = placement(beds, person_reference="CH-0001", bed_number=1,
                      admitted_on=today - dt.timedelta(days=10))
    return {"provider": provider, "home": home, "scheme": beds, "first": first}


def place(page: Page, reference: str, *, bed: str, admitted: dt.date, nhs_number: str = ""):
    page.get_by_label("Bed (optional)", exact=True).fill(bed)
    page.get_by_label("Person reference").fill(reference)
    if nhs_number:
        page.get_by_label("NHS number").fill(nhs_number)
    page.get_by_label("Hospital", exact=True).check()
    page.get_by_label("Hospital trust").fill("Cambridge University Hospitals")
    page.get_by_label("Hospital site").fill("Addenbrooke's")
    page.get_by_label("Admitted", exact=True).fill(admitted.isoformat())
    page.get_by_label("Tested negative").check()
    page.get_by_label("Pathway").select_option(label="Pathway 2 (short-term bed)")
    page.get_by_role("button", name="Place", exact=True).click()


def test_brokerage_places_refuses_a_taken_bed_discharges_and_reports(
        page, cambs, make_user, orchard):
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    officer = make_user(Role.BROKERAGE, cambs, email="sam@brokerage.example")
    sign_in(page, officer.email)

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Beds").click()
    expect(heading(page)).to_have_text(f"Commissioned beds on {long_date(today)}")
    expect(page.get_by_test_id("commissioned")).to_have_text("2 in 1 scheme")
    expect(page.get_by_test_id("occupied")).to_have_text("1")
    expect(page.get_by_test_id("free")).to_have_text("1")
    audit(page, "occupancy")

    page.get_by_role("navigation", name="Beds").get_by_role(
        "link", name="Free beds for brokerage").click()
    expect(heading(page)).to_have_text(f"Free beds on {long_date(today)}")
    audit(page, "brokerage")
    page.get_by_role("link", name="Orchard House step-down").first.click()
    expect(heading(page)).to_have_text("Orchard House step-down")
    expect(page.get_by_test_id("scheme-today")).to_contain_text("1 of 2 beds free")
    audit(page, "scheme")

    page.get_by_role("link", name="Place someone").click()
    expect(heading(page)).to_have_text("Place someone")
    audit(page, "placement form")
    place(page, "CH-0412", bed="2", admitted=yesterday, nhs_number=VALID_NHS_NUMBER)
    expect(banner(page)).to_contain_text("CH-0412 is placed in bed 2 of Orchard House step-down")
    expect(heading(page)).to_have_text("CH-0412")
    placed = Placement.objects.get(person_reference="CH-0412")
    facts = page.locator(".govuk-summary-list")
    expect(facts).to_contain_text("Given (kept only as a keyed hash)")
    expect(facts).to_contain_text(long_date(yesterday))
    content = page.content()
    for secret in (VALID_NHS_NUMBER, VALID_NHS_NUMBER.replace(" ", ""),
                   placed.nhs_number_hash, nhs_number_hash(VALID_NHS_NUMBER)):
        assert secret not in content
    audit(page, "placement")

    # Bed 2 is taken from yesterday: a second person there yesterday is refused on the Bed.
    page.get_by_role("link", name="Back to Orchard House step-down").click()
    expect(page.get_by_test_id("scheme-today")).to_contain_text("0 of 2 beds free")
    page.get_by_role("link", name="Place someone").click()
    place(page, "CH-0413", bed="2", admitted=yesterday)
    taken = "Bed 2 of Orchard House step-down is taken by CH-0412"
    expect(error_summary(page)).to_contain_text(taken)
    expect(error_summary(page).get_by_role("link")).to_have_attribute("href", "#id_bed_number")
    expect(page.locator("#id_bed_number-error")).to_contain_text(taken)
    audit(page, "placement form with errors")
    assert not Placement.objects.filter(person_reference="CH-0413").exists()

    # CH-0001 goes home with care today.
    page.goto(f"/beds/placements/{orchard['first'].pk}/")
    page.get_by_role("link", name="Record the discharge").click()
    expect(heading(page)).to_have_text("Discharge CH-0001")
    audit(page, "discharge form")
    page.get_by_label("Discharged", exact=True).fill(today.isoformat())
    page.get_by_label("Home with care").check()
    page.get_by_role("button", name="Record discharge").click()
    expect(banner(page)).to_contain_text(f"CH-0001 was discharged on {long_date(today)}")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Home with care")
    orchard["first"].refresh_from_db()
    assert (orchard["first"].discharged_on, orchard["first"].destination) == (
        today, "home_with_care")

    # This morning's sitrep: both beds taken overnight, CH-0412 admitted in the 24 hours.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Beds").click()
    page.get_by_role("navigation", name="Beds").get_by_role("link", name="Daily sitrep").click()
    expect(heading(page)).to_have_text(f"Beds sitrep as at 08:00 on {long_date(today)}")
    rows = page.get_by_test_id("sitrep").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th, td")).to_have_text(
        ["Step-down / quarantine", "1", "2", "2", "0", "1", "0"])
    audit(page, "sitrep")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").first.click()
    download = info.value
    assert download.suggested_filename == f"beds-sitrep-{today.isoformat()}.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        found = list(csv.DictReader(io.StringIO(handle.read())))
    step_down = next(row for row in found if row["Kind of scheme"] == "Step-down / quarantine")
    assert {key: step_down[key] for key in (
        "Schemes", "Beds", "Occupied", "Free", "Admissions in the last 24 hours",
        "Discharges in the last 24 hours")} == {
        "Schemes": "1", "Beds": "2", "Occupied": "2", "Free": "0",
        "Admissions in the last 24 hours": "1", "Discharges in the last 24 hours": "0"}

    page.get_by_role("navigation", name="Beds").get_by_role("link", name="Money").click()
    expect(heading(page)).to_contain_text("What the beds cost")
    expect(page.get_by_test_id("cost")).to_contain_text("£")
    audit(page, "money")


def test_a_provider_manager_sees_the_placement_in_their_home_without_the_nhs_number(
        page, cambs, make_user, orchard):
    today = timezone.localdate()
    placed = placement(orchard["scheme"], person_reference="CH-0500", bed_number=2,
                       admitted_on=today - dt.timedelta(days=2), nhs_number=VALID_NHS_NUMBER)
    manager = make_user(Role.PROVIDER_USER, cambs, provider=orchard["provider"],
                        email="ann@orchard.example")
    sign_in(page, manager.email)
    page.goto(f"/beds/schemes/{orchard['scheme'].pk}/")
    expect(heading(page)).to_have_text("Orchard House step-down")
    expect(page.get_by_role("link", name="Place someone")).to_have_count(0)
    audit(page, "scheme (provider)")
    page.get_by_role("link", name="CH-0500").click()
    expect(heading(page)).to_have_text("CH-0500")
    facts = page.locator(".govuk-summary-list")
    expect(facts).not_to_contain_text("NHS number")
    expect(page.get_by_role("link", name="Record the discharge")).to_have_count(0)
    content = page.content()
    assert placed.nhs_number_hash not in content
    assert VALID_NHS_NUMBER.replace(" ", "") not in content
    audit(page, "placement (provider)")
