"""The risk register, decisions, business cases and the council's workforce in a real
browser: a commissioner reviews a risk (refused first for a likelihood of 9), reads the heat
map beside its table, records a decision and a case's status, and records a team's week
(refused first for more absences than staff).

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import pytest
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role
from caresight.governance.models import RiskReview
from caresight.governance.tests.factories import make_case, make_decision, make_risk
from caresight.workforce.models import TeamWeek
from caresight.workforce.tests.factories import team

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def error_summary(page: Page):
    return page.locator(".govuk-error-summary")


@pytest.fixture
def commissioner(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs, email="priya@commissioning.example")


def test_a_commissioner_keeps_the_risk_register_decisions_and_cases(page, cambs,
                                                                    commissioner):
    risk = make_risk(cambs)
    make_decision(cambs)
    make_case(cambs)
    sign_in(page, commissioner.email)
    page.goto("/plans/")
    page.get_by_role("link", name="Risk register").click()
    expect(heading(page)).to_have_text("Risk register")
    expect(page.get_by_test_id("register")).to_contain_text("Market capacity")
    audit(page, "risk register with heat map")

    page.get_by_role("link", name="R1").first.click()
    audit(page, "risk")
    page.get_by_role("link", name="Review the risk").click()
    page.get_by_label("Likelihood", exact=True).fill("9")
    page.get_by_role("button", name="Save the review").click()
    expect(error_summary(page)).to_contain_text("Likelihood")
    audit(page, "risk review with errors")
    assert RiskReview.objects.filter(risk=risk).count() == 1
    page.get_by_label("Likelihood", exact=True).fill("3")
    page.get_by_role("button", name="Save the review").click()
    expect(heading(page)).to_have_text("Market capacity")

    page.goto("/governance/decisions/")
    expect(heading(page)).to_have_text("Decisions")
    audit(page, "decisions")
    page.goto("/governance/cases/")
    expect(heading(page)).to_have_text("Business cases")
    audit(page, "business cases")
    page.get_by_role("link", name="Designated setting beds").first.click()
    audit(page, "business case")


def test_a_commissioner_records_a_teams_week(page, cambs, commissioner):
    commissioning = team(cambs)
    sign_in(page, commissioner.email)
    page.goto("/workforce/")
    audit(page, "council workforce")
    page.goto(f"/workforce/teams/{commissioning.pk}/")
    audit(page, "team")
    page.get_by_role("link", name="Record a week").click()
    page.get_by_label("Week commencing").fill("2020-06-01")
    page.get_by_label("Staff in post").fill("10")
    page.get_by_label("Staff in post").press("Tab")
    shielding = page.locator("#id_absent_shielding")
    shielding.fill("15")
    page.get_by_role("button", name="Save week").click()
    expect(error_summary(page)).to_contain_text("Staff in post (10) must be at least")
    audit(page, "week with errors")
    assert not TeamWeek.objects.exists()
    page.locator("#id_absent_shielding").fill("8")
    page.get_by_role("button", name="Save week").click()
    expect(page.get_by_role("main")).to_contain_text("Commissioning")
    assert TeamWeek.objects.get().absent_shielding == 8
