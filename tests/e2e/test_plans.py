"""Action plans and the winter plan in a real browser: a commissioner adds an area and an
action to the care home support plan and records progress (with a refusal first); a partner
that leads an action records its progress; the winter plan checklist records a response.

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from caresight.accounts.models import Membership, Role
from caresight.plans import winter_plan
from caresight.plans.models import ProgressUpdate, WinterResponseUpdate
from caresight.plans.tests.factories import support_plan

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def error_summary(page: Page):
    return page.locator(".govuk-error-summary")


def test_a_commissioner_keeps_the_support_plan(page, cambs, make_user):
    made = support_plan(cambs)
    commissioner = make_user(Role.COMMISSIONER, cambs, email="priya@commissioning.example")
    sign_in(page, commissioner.email)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Plans").click()
    expect(heading(page)).to_have_text("Plans, risks and decisions")
    audit(page, "plans index")
    page.get_by_role("link", name="Action plans").click()
    audit(page, "plan list")
    page.get_by_role("link", name="Care Home Support Plan").click()
    expect(heading(page)).to_have_text("Care Home Support Plan")
    expect(page.get_by_role("table", name="Infection Prevention and Control")).to_contain_text(
        "IPC Training")
    audit(page, "plan")

    page.get_by_role("link", name="Add an action", exact=True).click()
    page.get_by_label("Action", exact=True).fill("Visiting guidance")
    page.get_by_label("Due date").fill("2020-05-01")
    page.get_by_role("button", name="Add the action").click()
    expect(error_summary(page)).to_contain_text("on or after the action's start")
    audit(page, "action form with errors")
    page.get_by_label("Start date").fill("2020-05-01")
    page.get_by_label("Due date").fill("2020-09-30")
    page.get_by_role("button", name="Add the action").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Visiting guidance")

    page.get_by_role("link", name="IPC Training").click()
    audit(page, "action")
    page.get_by_role("link", name="Record progress").click()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page.get_by_label("Date").fill(tomorrow.isoformat())
    page.get_by_label("Progress", exact=True).fill("All 174 homes trained")
    page.get_by_role("button", name="Record the progress").click()
    expect(error_summary(page)).to_contain_text("is in the future")
    page.get_by_label("Date").fill("2020-07-20")
    page.get_by_label("Complete").check()
    page.get_by_label("Green").check()
    page.get_by_role("button", name="Record the progress").click()
    expect(page.get_by_role("table", name="Progress, newest first")).to_contain_text(
        "All 174 homes trained")
    assert ProgressUpdate.objects.filter(action=made["training"]).count() == 1


def test_a_partner_records_progress_on_the_action_it_leads(page, cambs, make_user):
    made = support_plan(cambs)
    partner = make_user(Role.PARTNER, cambs, email="ruth@ccg.example")
    Membership.objects.filter(user=partner).update(organisation=made["ccg"])
    sign_in(page, partner.email)
    page.goto(f"/plans/actions/{made['step_down'].pk}/progress/")
    expect(heading(page)).to_have_text("Your organisation does not lead this action")
    audit(page, "not the lead")
    page.goto(f"/plans/actions/{made['training'].pk}/")
    page.get_by_role("link", name="Record progress").click()
    page.get_by_label("Date").fill("2020-06-10")
    page.get_by_label("Progress", exact=True).fill("Sessions booked")
    page.get_by_role("button", name="Record the progress").click()
    expect(page.get_by_role("table", name="Progress, newest first")).to_contain_text(
        "Sessions booked")


def test_the_winter_plan_checklist_records_a_response(page, cambs, make_user):
    commissioner = make_user(Role.COMMISSIONER, cambs, email="priya@commissioning.example")
    sign_in(page, commissioner.email)
    page.goto("/plans/winter-plan/")
    expect(page.get_by_test_id("winter-met")).to_contain_text("0 of")
    audit(page, "winter plan checklist")
    first = winter_plan.checklist().requirements[0]
    page.get_by_role("link", name=first.text).first.click()
    audit(page, "winter plan requirement")
    page.get_by_label("Met", exact=True).check()
    page.get_by_label("Local actions").fill("Outbreak plan updated")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("table", name="How it stood, newest first")).to_contain_text(
        "Outbreak plan updated")
    assert WinterResponseUpdate.objects.get().status == "met"
