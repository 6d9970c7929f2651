"""Accounts by email in a real browser: an administrator invites a quality officer, the
invitation reaches a real SMTP server (aiosmtpd on 127.0.0.1), the invitee opens its link,
sets a password (refused first as too short) and signs in; the administrator sees the email's
delivery record. Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role, User
from caresight.core.models import EmailDelivery
from caresight.core.tests.smtp import smtp_server  # noqa: F401  (the fixture)

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
NEW_PASSWORD = "fen-view-quality-2020"


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def test_an_administrator_invites_a_user_who_accepts_by_email(
        page, cambs, make_user, smtp_server):  # noqa: F811
    admin = make_user(Role.ADMIN, cambs, email="admin@cambs.example.org")
    sign_in(page, admin.email)
    page.goto("/accounts/")
    page.get_by_role("link", name="Users", exact=True).click()
    expect(heading(page)).to_have_text("Users")
    audit(page, "users")

    page.get_by_role("button", name="Invite a user").click()
    expect(heading(page)).to_have_text("Invite a user")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("email address")
    audit(page, "invite with errors")
    page.get_by_label("Email address").fill("nia.officer@cambs.example.org")
    page.get_by_label("Full name").fill("Nia Officer")
    page.get_by_label("Quality officer").check()
    page.get_by_label("Cambridgeshire").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(heading(page)).to_have_text("Nia Officer")
    expect(page.locator(".govuk-notification-banner, .govuk-body").first).to_be_visible()
    audit(page, "user")

    # The invitation went through the email layer to the SMTP server.
    delivery = EmailDelivery.objects.get(recipient="nia.officer@cambs.example.org")
    assert delivery.status == EmailDelivery.Status.SENT
    [message] = smtp_server.to("nia.officer@cambs.example.org")
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", smtp_server.body(message))
    assert link, smtp_server.body(message)

    page.goto("/emails/")
    expect(heading(page)).to_have_text("Emails sent")
    expect(page.locator("table")).to_contain_text("nia.officer@cambs.example.org")
    expect(page.locator("table")).to_contain_text("Sent")
    audit(page, "emails sent")

    page.context.clear_cookies()
    page.goto(link.group(0))
    expect(heading(page)).to_have_text("Set your password")
    audit(page, "set your password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Confirm the new password").fill("short")
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("too short")
    audit(page, "set your password with errors")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(heading(page)).to_contain_text("Sign in")
    expect(page.get_by_text("Your password is set")).to_be_visible()
    sign_in(page, "nia.officer@cambs.example.org", NEW_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/accounts/sign-in/"))
    assert User.objects.get(email="nia.officer@cambs.example.org").last_login is not None

    # The link works once.
    page.context.clear_cookies()
    page.goto(link.group(0))
    expect(heading(page)).to_have_text("You cannot use this invitation")
    expect(page.get_by_test_id("link-refused")).to_contain_text("already been used")
    audit(page, "invitation already used")
