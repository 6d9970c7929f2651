"""Notifications in a real browser: a quality officer finds their notifications from *Your
account*, marks them read, and chooses a daily digest for red ratings.

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import pytest
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role
from caresight.notifications import services
from caresight.notifications.models import Kind, Notification, NotificationPreference

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_officer_reads_their_notifications_and_chooses_a_daily_digest(page: Page, cambs,
                                                                         make_user):
    officer = make_user(Role.QUALITY_OFFICER, cambs, email="sam@quality.example")
    services.notify(Kind.OUTBREAK_REPORTED, [officer], subject="New outbreak reported at Fen View",
                    body="Fen View (Cambridgeshire) reported an outbreak on 4 June 2020.",
                    link="/outbreaks/", dedupe_key="outbreak_reported:e2e")
    sign_in(page, officer.email)
    page.goto("/accounts/")
    page.get_by_test_id("your-notifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your notifications")
    expect(page.get_by_test_id("notifications")).to_contain_text("Fen View")
    audit(page, "your notifications")
    page.get_by_test_id("mark-all-read").click()
    expect(page.locator("body")).to_contain_text("1 notification marked as read.")
    assert Notification.objects.get(user=officer).read_at is not None

    page.get_by_role("link", name="Notification settings").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification settings")
    audit(page, "notification settings")
    page.get_by_role("group", name="A service's risk rating turned red").get_by_label(
        "A daily digest email").check()
    page.get_by_test_id("save-settings").click()
    expect(page.locator("body")).to_contain_text("Your notification settings are saved.")
    assert NotificationPreference.objects.get(user=officer, kind=Kind.RATING_RED).delivery == \
        "daily"
