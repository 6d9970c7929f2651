"""The dashboards in a real browser: a commissioner signs in and lands on the authority's
figures, narrows them to a day, follows a figure to the list behind it; a national viewer sees
the figures by authority with small numbers suppressed; a care home manager sees what is due
from them. A date in the future is refused with a message naming the field.

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role
from caresight.dashboards.tests.factories import make_area

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
# CARESIGHT_SCREENSHOTS=DIR keeps a full-page screenshot of each dashboard there, to look at.
SCREENSHOTS = os.environ.get("CARESIGHT_SCREENSHOTS")


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def tile(page: Page, key: str):
    return page.get_by_test_id(f"value-{key}")


@pytest.fixture
def area(cambs, devon):
    return make_area(cambs, devon)


def test_a_commissioner_lands_on_the_dashboard_and_follows_a_figure(page, area, cambs,
                                                                    peterborough, make_user):
    commissioner = make_user(Role.COMMISSIONER, cambs, peterborough,
                             email="priya@commissioning.example")
    sign_in(page, commissioner.email)
    expect(heading(page)).to_have_text("Dashboard")
    expect(tile(page, "returns_missing")).to_have_text("1")
    expect(page.get_by_test_id("based-on-returns_missing")).to_contain_text(
        "Based on 4 services")
    expect(tile(page, "returns_beds_vacant")).to_have_text("15")
    expect(tile(page, "outbreaks_live")).to_have_text("1")
    expect(page.get_by_test_id("outbreak-trend")).to_be_visible()
    screenshot(page, "dashboard-officer")
    audit(page, "officer dashboard")

    page.get_by_label("Authority").select_option(label="Cambridgeshire")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("dashboard-intro")).to_contain_text("for Cambridgeshire")
    page.get_by_test_id("link-returns_missing").click()
    expect(heading(page)).to_have_text("Who has not returned")
    expect(page.get_by_test_id("missing-count")).to_contain_text("1 service")

    page.goto(f"/?as_of={(area['day'] + dt.timedelta(days=2)).isoformat()}")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Date must be today or in the past")
    audit(page, "officer dashboard with a date in the future")


def test_a_national_viewer_sees_figures_by_authority_suppressed(page, area, cambs, devon,
                                                                make_user):
    viewer = make_user(Role.VIEWER, cambs, devon, email="val@region.example")
    sign_in(page, viewer.email)
    expect(heading(page)).to_have_text("Figures by authority")
    table = page.get_by_test_id("by-authority")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("fewer than 5")
    expect(table).not_to_contain_text("Fen View")
    expect(page.get_by_test_id("suppression-note")).to_contain_text("fewer than 5")
    screenshot(page, "dashboard-viewer")
    audit(page, "figures by authority")


def test_a_care_home_manager_sees_what_is_due_from_them(page, area, cambs, make_user):
    manager = make_user(Role.PROVIDER_USER, cambs, provider=area["provider"],
                        email="sam@fenview.example")
    sign_in(page, manager.email)
    expect(heading(page)).to_have_text("What is due from you")
    expect(tile(page, "provider_returns_due")).to_have_text("1")
    expect(tile(page, "provider_agreements")).to_have_text("1")
    audit(page, "what is due from you")
    page.get_by_test_id("link-provider_returns_due").click()
    expect(heading(page)).to_have_text("Submit a return")
