"""What a user sees in a real browser: signing in, the register, editing, history, import.

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role
from caresight.registry.models import CqcRating, Location, ServiceType
from caresight.registry.tests.factories import LocalityFactory, LocationFactory, ProviderFactory

from .conftest import PASSWORD, audit, sign_in

# Authorities come from a data migration; a transactional test flushes the database afterwards,
# so serialized rollback restores them for the next test.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOT_ENV = "CARESIGHT_SCREENSHOT"  # set to a path to (re)write the README's screenshot


@pytest.fixture
def market(cambs, devon):
    """Eight services in Cambridgeshire and, beside them, one in Devon whose name says Fen too."""
    east_cambs, fenland, hunts = (
        LocalityFactory(authority=cambs, name=name)
        for name in ("East Cambs", "Fenland", "Huntingdonshire")
    )
    fenland_care = ProviderFactory(name="Fenland Care Ltd")
    ouse = ProviderFactory(name="Ouse Valley Care Ltd")
    hunts_care = ProviderFactory(name="Hunts Care Homes Ltd")
    home = LocationFactory
    homes = [
        home(authority=cambs, locality=east_cambs, provider=fenland_care,
             name="Fen View Care Home", registered_beds=40, cqc_rating=CqcRating.GOOD),
        home(authority=cambs, locality=fenland, provider=fenland_care,
             name="Fenland Nursing Home", service_type=ServiceType.CARE_HOME_NURSING,
             registered_beds=62, cqc_rating=CqcRating.OUTSTANDING, town="March",
             postcode="PE15 8AB"),
        home(authority=cambs, locality=east_cambs, provider=ouse, name="Ely Meadows Care Home",
             registered_beds=28, cqc_rating=CqcRating.REQUIRES_IMPROVEMENT, postcode="CB7 4DL"),
        home(authority=cambs, locality=fenland, provider=ouse, name="Fen Edge Home Care",
             service_type=ServiceType.DOMICILIARY, registered_beds=None,
             cqc_rating=CqcRating.GOOD, town="Chatteris", postcode="PE16 6AA"),
        home(authority=cambs, locality=hunts, provider=ouse, name="Ouse Valley Supported Living",
             service_type=ServiceType.SUPPORTED_LIVING, registered_beds=None,
             cqc_rating=CqcRating.NOT_RATED, town="St Ives", postcode="PE27 5AA"),
        home(authority=cambs, locality=hunts, provider=hunts_care, name="Hemingford Grange",
             service_type=ServiceType.CARE_HOME_NURSING, registered_beds=48,
             cqc_rating=CqcRating.GOOD, town="Huntingdon", postcode="PE28 9AX"),
        home(authority=cambs, locality=fenland, provider=ProviderFactory(name="Isle Care Ltd"),
             name="Wisbech Court", registered_beds=33,
             cqc_rating=CqcRating.INADEQUATE, town="Wisbech", postcode="PE13 1AA"),
        home(authority=cambs, locality=hunts, provider=hunts_care, name="St Neots Manor",
             registered_beds=51, cqc_rating=CqcRating.NOT_RATED, town="St Neots",
             postcode="PE19 1AA"),
    ]
    devon_home = LocationFactory(authority=devon, name="Fenside Court", registered_beds=35,
                                 town="Exeter", postcode="EX1 2QE")
    return {"homes": homes, "devon_home": devon_home}


@pytest.fixture
def commissioner(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs, email="casey@cambridgeshire.example")


ALL_CAMBS = [
    "Ely Meadows Care Home", "Fen Edge Home Care", "Fen View Care Home", "Fenland Nursing Home",
    "Hemingford Grange", "Ouse Valley Supported Living", "St Neots Manor", "Wisbech Court",
]


def result_count(page: Page):
    return page.get_by_test_id("result-count")


def service_links(page: Page):
    return page.locator(".cs-filters__results tbody tr td:first-child a")


def summary_value(page: Page, key: str):
    row = page.locator(".govuk-summary-list__row").filter(
        has=page.locator("dt", has_text=re.compile(f"^{re.escape(key)}$"))
    )
    return row.locator("dd")


def test_sign_in_shows_errors_then_lands_on_the_register(page, market, commissioner):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Caresight")
    audit(page, "sign-in")

    page.get_by_label("Email address").fill(commissioner.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(page.get_by_label("Password")).to_have_value("")
    audit(page, "sign-in with errors")
    summary.get_by_role("link", name="Enter a correct email address and password.").click()
    expect(page.get_by_label("Email address")).to_be_focused()
    expect(page.get_by_label("Email address")).to_have_value(commissioner.email)

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/$"))  # the dashboard (tests/e2e/test_dashboards.py)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.goto("/register/locations/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Care provider register")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(result_count(page)).to_have_text("8 services")
    expect(service_links(page)).to_have_text(ALL_CAMBS)
    expect(page.get_by_role("link", name="Fenside Court")).to_have_count(0)

    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(summary_value(page, "Email address")).to_have_text(commissioner.email)
    access = page.locator("table tbody tr")
    expect(access).to_have_count(1)
    expect(access.locator("td").nth(1)).to_have_text("Commissioner")
    expect(access.locator("td").nth(2)).to_have_text("Cambridgeshire")
    audit(page, "your account")


def test_search_and_filter_the_register(page, market, commissioner):
    sign_in(page, commissioner.email)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Register").click()
    expect(result_count(page)).to_have_text("8 services")
    expect(service_links(page)).to_have_text(ALL_CAMBS)
    audit(page, "register list")

    filters = page.get_by_role("search", name="Filter the register")
    filters.get_by_label("Care home without nursing", exact=True).check()
    filters.get_by_label("Care home with nursing", exact=True).check()
    filters.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"service_type=care_home_nursing"))
    expect(result_count(page)).to_have_text("6 services")
    expect(service_links(page)).to_have_text([
        "Ely Meadows Care Home", "Fen View Care Home", "Fenland Nursing Home",
        "Hemingford Grange", "St Neots Manor", "Wisbech Court",
    ])
    # The form remembers what was chosen.
    expect(filters.get_by_label("Care home without nursing", exact=True)).to_be_checked()
    expect(filters.get_by_label("Domiciliary care (home care)", exact=True)).not_to_be_checked()
    audit(page, "register list, filtered")
    if os.environ.get(SCREENSHOT_ENV):
        path = Path(os.environ[SCREENSHOT_ENV])
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)

    filters.get_by_label("Search", exact=True).fill("Fen")
    filters.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]q=Fen(&|$)"))
    expect(result_count(page)).to_have_text("2 services")
    expect(service_links(page)).to_have_text(["Fen View Care Home", "Fenland Nursing Home"])
    expect(filters.get_by_label("Search", exact=True)).to_have_value("Fen")
    expect(filters.get_by_label("Care home with nursing", exact=True)).to_be_checked()

    filters.get_by_label("Sort by").select_option(label="Most beds first")
    filters.get_by_role("button", name="Apply filters").click()
    expect(service_links(page)).to_have_text(["Fenland Nursing Home", "Fen View Care Home"])
    rows = page.locator(".cs-filters__results tbody tr")
    expect(rows.first.locator("td").nth(2)).to_have_text("Fenland")
    expect(rows.first.locator("td").nth(3)).to_have_text("62")
    expect(rows.first.locator("td").nth(4)).to_have_text("Outstanding")

    filters.get_by_label("Care home without nursing", exact=True).uncheck()
    filters.get_by_label("Care home with nursing", exact=True).uncheck()
    filters.get_by_role("button", name="Apply filters").click()
    expect(result_count(page)).to_have_text("3 services")
    # (Where a service with no beds sorts depends on the database, so compare as a set.)
    assert sorted(service_links(page).all_inner_texts()) == [
        "Fen Edge Home Care", "Fen View Care Home", "Fenland Nursing Home",
    ]

    filters.get_by_label("Search", exact=True).fill("no such service")
    filters.get_by_role("button", name="Apply filters").click()
    expect(result_count(page)).to_have_text("0 services")
    expect(page.get_by_text("No services match these filters.")).to_be_visible()

    page.get_by_role("link", name="Clear filters").click()
    expect(result_count(page)).to_have_text("8 services")
    # Another council's home, whose name matches the search, is never listed.
    expect(page.get_by_text("Fenside Court")).to_have_count(0)


def test_edit_a_service_then_read_its_history(page, market, commissioner):
    sign_in(page, commissioner.email)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Register").click()
    page.get_by_role("link", name="Fen View Care Home").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Fen View Care Home")
    expect(summary_value(page, "Registered beds")).to_have_text("40")
    expect(summary_value(page, "Provider")).to_have_text("Fenland Care Ltd")
    audit(page, "location detail")

    page.get_by_role("button", name="Edit Fen View Care Home").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit service details")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Fen View Care Home")
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Registered beds (optional)").fill("-3")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_title(re.compile(r"^Error: Edit Fen View Care Home"))
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter name", "Registered beds must be 0 or more"]
    )
    expect(page.locator("#id_name-error")).to_have_text("Error: Enter name")
    expect(page.locator("#id_registered_beds-error")).to_have_text(
        "Error: Registered beds must be 0 or more"
    )
    beds = page.get_by_label("Registered beds (optional)")
    expect(beds).to_have_value("-3")
    expect(beds).to_have_attribute("aria-describedby", re.compile(r"id_registered_beds-error"))
    audit(page, "edit form with errors")
    summary.get_by_role("link", name="Registered beds must be 0 or more").click()
    expect(beds).to_be_focused()

    page.get_by_label("Name", exact=True).fill("Fen View House")
    beds.fill("42")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/register/locations/\d+/$"))
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Your changes to Fen View House were saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fen View House")
    expect(summary_value(page, "Registered beds")).to_have_text("42")
    audit(page, "location detail after saving")

    page.get_by_role("link", name="History of Fen View House").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fen View House")
    cards = page.locator(".govuk-summary-card")
    expect(cards).to_have_count(2)
    latest = cards.first
    expect(latest.get_by_role("heading")).to_contain_text(
        f"Changed by {commissioner.email} on"
    )
    changes = latest.locator("tbody tr")
    expect(changes).to_have_count(2)
    expect(changes.filter(has_text="Registered beds").locator("td")).to_have_text(["40", "42"])
    expect(changes.filter(has_text="Name").locator("td")).to_have_text(
        ["Fen View Care Home", "Fen View House"]
    )
    expect(cards.nth(1).get_by_role("heading")).to_contain_text("Created by System")
    audit(page, "history")


def cqc_location(location_id: str, name: str, **extra) -> dict:
    """One location as the CQC API gives it."""
    return {
        "locationId": location_id, "providerId": "1-987654321", "providerName": "Hereward Care Ltd",
        "name": name, "postalAddressLine1": "1 Station Road", "postalAddressTownCity": "Ely",
        "postalCode": "CB7 4BU", "localAuthority": "Cambridgeshire", "careHome": "Y",
        "registrationStatus": "Registered", "registrationDate": "2019-04-01",
        "mainPhoneNumber": "01353 111111", "numberOfBeds": 24,
        "gacServiceTypes": [{"name": "Residential homes",
                             "description": "Care home service without nursing"}],
        "specialisms": [{"name": "Caring for adults over 65 yrs"}, {"name": "Dementia"}],
        "currentRatings": {"overall": {"rating": "Good", "reportDate": "2024-03-01"}},
        **extra,
    }


def test_import_a_cqc_file(page, market, commissioner, tmp_path):
    upload = tmp_path / "cambridgeshire.jsonl"
    upload.write_text("\n".join(json.dumps(obj) for obj in [
        cqc_location("1-123456789", "Willow Bank Care Home"),
        cqc_location("1-123456790", "Hereward Lodge", numberOfBeds=18),
        cqc_location("1-123456791", "Hereward Home Care", careHome="N", numberOfBeds=None,
                     gacServiceTypes=[{"name": "Homecare agencies",
                                       "description": "Domiciliary care service"}]),
    ]) + "\n")
    sign_in(page, commissioner.email)
    page.get_by_role("link", name="Import from CQC").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import locations from CQC")
    audit(page, "import")

    page.get_by_role("button", name="Check the file").click()  # no file chosen
    expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    expect(page.locator("#id_file-error")).to_be_visible()
    audit(page, "import with errors")

    page.get_by_label("Upload a file").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()

    # Tasks run at once in tests, so the preview is usually ready; a slower run shows progress
    # and refreshes itself every two seconds.
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Check the changes before you import", timeout=8_000)
    expect(page.locator(".govuk-caption-l")).to_have_text("cambridgeshire.jsonl")
    expect(page.get_by_test_id("count-created")).to_have_text("3")
    expect(page.get_by_test_id("count-updated")).to_have_text("0")
    expect(page.get_by_test_id("count-providers-created")).to_have_text("1")
    assert not Location.objects.filter(cqc_location_id="1-123456789").exists()
    audit(page, "job preview")

    page.get_by_role("button", name="Confirm and import").click()
    expect(heading).to_have_text("Import complete", timeout=8_000)
    expect(page.get_by_role("table")).to_contain_text("What changed")
    expect(page.get_by_test_id("count-created")).to_have_text("3")
    expect(page.get_by_role("button", name="Confirm and import")).to_have_count(0)
    audit(page, "job result")

    page.get_by_role("link", name="Go to the register").click()
    expect(result_count(page)).to_have_text("11 services")
    filters = page.get_by_role("search", name="Filter the register")
    filters.get_by_label("Search", exact=True).fill("Hereward")
    filters.get_by_role("button", name="Apply filters").click()
    expect(result_count(page)).to_have_text("3 services")
    expect(service_links(page)).to_have_text(
        ["Hereward Home Care", "Hereward Lodge", "Willow Bank Care Home"]
    )
    page.get_by_role("link", name="Willow Bank Care Home").click()
    expect(summary_value(page, "CQC location ID")).to_have_text("1-123456789")
    expect(summary_value(page, "Registered beds")).to_have_text("24")
    expect(summary_value(page, "CQC rating")).to_have_text("Good")


def test_a_viewer_sees_the_summary_but_not_the_register(page, market, cambs, make_user):
    viewer = make_user(Role.VIEWER, cambs, email="val@region.example")
    sign_in(page, viewer.email)

    expect(page.get_by_role("heading", level=1)).to_have_text("Figures by authority")
    page.goto("/register/summary/")
    expect(page).to_have_url(re.compile(r"/register/summary/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Register summary")
    # Cambridgeshire only: 262 beds across eight services; Devon's home is not counted.
    expect(page.get_by_test_id("summary-totals")).to_contain_text(
        "8 registered services with 262 registered beds"
    )
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.locator("td:first-child")).to_have_text(["Cambridgeshire"] * 4)
    navigation = page.get_by_role("navigation", name="Menu")
    expect(navigation.get_by_role("link", name="Summary")).to_be_visible()
    expect(navigation.get_by_role("link", name="Register")).to_have_count(0)
    expect(navigation.get_by_role("link", name="Import from CQC")).to_have_count(0)
    audit(page, "summary")

    response = page.goto("/register/locations/")
    assert response.status == 403
    expect(page.get_by_text("Fen View Care Home")).to_have_count(0)
    response = page.goto(f"/register/locations/{market['homes'][0].pk}/")
    assert response.status == 404
    expect(page.get_by_text("Fen View Care Home")).to_have_count(0)
