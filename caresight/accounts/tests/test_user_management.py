"""Administrators manage their own users; invitations and forgotten passwords by email, through
the email layer, against a real SMTP server."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from caresight.accounts import services
from caresight.accounts.models import Invitation, Membership, Role, User
from caresight.core import email
from caresight.core.models import EmailDelivery
from caresight.core.tests.smtp import SmtpServer, smtp_server  # noqa: F401  (the fixture)
from conftest import PASSWORD

pytestmark = pytest.mark.django_db
SITE = "http://testserver"
NEW_PASSWORD = "a-much-longer-new-passphrase"


@pytest.fixture
def admin(cambs, make_user):
    return make_user(Role.ADMIN, cambs, email="admin@cambs.example.org")


def _invite(admin, cambs, email_="new.officer@cambs.example.org", **kwargs):
    kwargs.setdefault("role", Role.QUALITY_OFFICER)
    kwargs.setdefault("authorities", [cambs])
    return services.user_invite(email=email_, full_name="Nia Officer", by=admin, site_url=SITE,
                                **kwargs)


def _link(body: str, path: str) -> str:
    found = re.search(rf"http://testserver(/accounts/{path}/\S+/)", body)
    assert found, body
    return found.group(1)


def _signs_in(client, email_: str, password: str) -> bool:
    answer = client.post(reverse("accounts:sign-in"), {"email": email_, "password": password})
    return answer.status_code == 302


def _sent_body(server: SmtpServer, to: str) -> str:
    email.send_due()
    [message] = server.to(to)
    return server.body(message)


# --- Invitations -----------------------------------------------------------------------------


def test_an_invitation_emails_a_link_that_sets_the_password(
        admin, cambs, client, smtp_server):  # noqa: F811
    invitation = _invite(admin, cambs)
    user = invitation.user
    assert not user.has_usable_password()
    assert user.memberships.get().role == Role.QUALITY_OFFICER
    delivery = EmailDelivery.objects.get(recipient=user.email)
    assert delivery.email.kind == "invitation" and delivery.email.caused_by == admin
    assert list(delivery.email.authorities.all()) == [cambs]
    body = _sent_body(smtp_server, user.email)
    assert "quality officer" in body and "Cambridgeshire" in body
    link = _link(body, "invitation")
    opened = client.get(link)
    assert opened.status_code == 302 and opened["Location"] == reverse("accounts:invitation-accept")
    page = client.get(opened["Location"])
    assert "Set your password" in page.content.decode()
    done = client.post(opened["Location"], {"new_password1": NEW_PASSWORD,
                                            "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:sign-in")
    assert _signs_in(client, user.email, NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert user.history.filter(history_change_reason__startswith="Invitation accepted").exists()
    assert invitation.history.first().history_user == admin


def test_a_weak_password_is_refused_by_djangos_validators(admin, cambs, client):
    token = _token_of(_invite(admin, cambs))
    client.get(reverse("accounts:invitation-open", args=[token]))
    page = client.post(reverse("accounts:invitation-accept"),
                       {"new_password1": "password", "new_password2": "password"})
    assert page.status_code == 200
    assert "too common" in page.content.decode() or "too short" in page.content.decode()
    assert Invitation.objects.get().accepted_at is None


def _token_of(invitation) -> str:
    body = EmailDelivery.objects.filter(recipient=invitation.user.email).order_by("pk").last(
    ).email.text
    return _link(body, "invitation").rstrip("/").rsplit("/", 1)[1]


def test_an_expired_invitation_is_refused_with_a_clear_message(admin, cambs, client):
    invitation = _invite(admin, cambs)
    token = _token_of(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1))
    client.get(reverse("accounts:invitation-open", args=[token]))
    page = client.get(reverse("accounts:invitation-accept"))
    assert page.status_code == 400
    assert "This invitation has expired. Ask your administrator" in page.content.decode()
    with pytest.raises(ValidationError, match="expired"):
        services.invitation_accept(token=token, password=NEW_PASSWORD)


def test_a_used_invitation_is_refused(admin, cambs, client):
    invitation = _invite(admin, cambs)
    token = _token_of(invitation)
    services.invitation_accept(token=token, password=NEW_PASSWORD)
    client.get(reverse("accounts:invitation-open", args=[token]))
    page = client.get(reverse("accounts:invitation-accept"))
    assert page.status_code == 400
    assert "already been used" in page.content.decode()


def test_a_new_invitation_replaces_the_earlier_link(admin, cambs):
    first = _token_of(_invite(admin, cambs))
    second = _token_of(_invite(admin, cambs))
    with pytest.raises(ValidationError, match="replaced"):
        services.invitation_for_token(first)
    assert services.invitation_for_token(second).user.email == "new.officer@cambs.example.org"


def test_a_wrong_token_is_refused(client):
    client.get(reverse("accounts:invitation-open", args=["made-up"]))
    page = client.get(reverse("accounts:invitation-accept"))
    assert page.status_code == 400 and "not right" in page.content.decode()


def test_an_administrator_grants_only_their_own_authorities(admin, cambs, devon):
    with pytest.raises(ValidationError) as refused:
        _invite(admin, cambs, authorities=[cambs, devon])
    assert "Devon" in refused.value.message_dict["authorities"][0]
    assert not User.objects.filter(email="new.officer@cambs.example.org").exists()


def test_the_invite_page_offers_and_accepts_only_the_admins_authorities(
        admin, cambs, devon, client):
    client.force_login(admin)
    page = client.get(reverse("accounts:user-invite")).content.decode()
    assert "Cambridgeshire" in page and "Devon" not in page
    form = client.get(reverse("accounts:user-invite")).context["form"]
    token = form["submission_token"].initial
    refused = client.post(reverse("accounts:user-invite"), {
        "email": "x@example.org", "full_name": "X", "role": Role.COMMISSIONER,
        "authorities": [devon.pk], "submission_token": token})
    assert refused.status_code == 200
    assert "Choose authorities from the list" in refused.content.decode() or \
        "not one of the available choices" in refused.content.decode()
    bad = client.post(reverse("accounts:user-invite"), {
        "email": "not an address", "full_name": "X", "role": Role.COMMISSIONER,
        "authorities": [cambs.pk], "submission_token": token})
    assert "Enter a valid email address" in bad.content.decode()
    sent = client.post(reverse("accounts:user-invite"), {
        "email": "x@example.org", "full_name": "X", "role": Role.COMMISSIONER,
        "authorities": [cambs.pk], "organisation_name": "", "submission_token": token})
    assert sent.status_code == 302
    assert EmailDelivery.objects.filter(recipient="x@example.org").count() == 1


def test_someone_who_already_signs_in_is_told_of_the_new_role_without_a_link(
        admin, cambs, make_user):
    existing = make_user(Role.PUBLIC_HEALTH, cambs, email="dph@cambs.example.org")
    invitation = _invite(admin, cambs, email_=existing.email, role=Role.PARTNER,
                         organisation_name="Cambridgeshire and Peterborough CCG")
    assert invitation.accepted_at is not None
    text = EmailDelivery.objects.get(recipient=existing.email).email.text
    assert "/accounts/invitation/" not in text and "sign-in" in text
    assert existing.memberships.count() == 2


def test_an_administrator_cannot_see_or_change_people_outside_their_authorities(
        admin, devon, make_user, client):
    stranger = make_user(Role.COMMISSIONER, devon, email="someone@devon.example.org")
    client.force_login(admin)
    assert "someone@devon" not in client.get(reverse("accounts:user-list")).content.decode()
    assert client.get(reverse("accounts:user-detail", args=[stranger.pk])).status_code == 404
    role = stranger.memberships.get()
    assert client.post(reverse("accounts:membership-edit", args=[role.pk]),
                       {"role": Role.ADMIN}).status_code == 404
    assert client.post(reverse("accounts:user-deactivate", args=[stranger.pk])).status_code \
        == 404
    stranger.refresh_from_db()
    assert stranger.is_active and stranger.memberships.get().role == Role.COMMISSIONER


# --- Roles, authorities and deactivation ------------------------------------------------


def test_changing_a_role_keeps_the_authorities_the_admin_does_not_hold(
        admin, cambs, devon, peterborough, make_user):
    person = make_user(Role.COMMISSIONER, cambs, devon, email="joint@example.org")
    admin.memberships.get().authorities.add(peterborough)
    membership = person.memberships.get()
    services.membership_update(membership=membership, role=Role.FINANCE,
                               authorities=[peterborough], by=admin)
    membership.refresh_from_db()
    assert membership.role == Role.FINANCE
    assert {a.ons_code for a in membership.authorities.all()} == {
        devon.ons_code, peterborough.ons_code}
    with pytest.raises(ValidationError, match="Devon"):
        services.membership_update(membership=membership, role=Role.FINANCE,
                                   authorities=[devon], by=admin)
    assert membership.history.first().history_user == admin


def test_the_role_page_changes_a_role(admin, cambs, make_user, client):
    person = make_user(Role.COMMISSIONER, cambs, email="c@example.org")
    client.force_login(admin)
    membership = person.memberships.get()
    done = client.post(reverse("accounts:membership-edit", args=[membership.pk]),
                       {"role": Role.QUALITY_OFFICER, "authorities": [cambs.pk]})
    assert done.status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == Role.QUALITY_OFFICER


def test_an_administrator_cannot_change_or_deactivate_themselves(admin):
    with pytest.raises(ValidationError, match="yourself"):
        services.user_set_active(user=admin, active=False, by=admin)
    with pytest.raises(ValidationError, match="yourself"):
        services.membership_update(membership=admin.memberships.get(), role=Role.VIEWER,
                                   authorities=[], by=admin)


def test_a_deactivated_user_cannot_sign_in_and_is_reactivated(admin, cambs, make_user, client):
    person = make_user(Role.COMMISSIONER, cambs, email="c@example.org")
    client.force_login(admin)
    client.post(reverse("accounts:user-deactivate", args=[person.pk]))
    person.refresh_from_db()
    assert not person.is_active
    assert person.history.first().history_change_reason == "Deactivated"
    assert person.history.first().history_user == admin
    client.logout()
    assert not _signs_in(client, person.email, PASSWORD)
    services.user_set_active(user=person, active=True, by=admin)
    assert _signs_in(client, person.email, PASSWORD)


def test_someone_who_also_works_elsewhere_is_not_deactivated_by_one_council(
        admin, cambs, devon, make_user):
    person = make_user(Role.COMMISSIONER, cambs, devon, email="joint@example.org")
    with pytest.raises(ValidationError, match="authorities you do not administer"):
        services.user_set_active(user=person, active=False, by=admin)
    person.refresh_from_db()
    assert person.is_active


# --- Forgotten passwords -------------------------------------------------------------------


def test_a_reset_email_arrives_and_its_link_sets_a_new_password(
        admin, client, smtp_server):  # noqa: F811
    answer = client.post(reverse("accounts:password-reset"), {"email": "Admin@cambs.example.org"})
    assert answer.status_code == 302
    body = _sent_body(smtp_server, admin.email)
    link = _link(body, "password-reset")
    opened = client.get(link)
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")
    page = client.post(opened["Location"], {"new_password1": NEW_PASSWORD,
                                            "new_password2": NEW_PASSWORD})
    assert page.status_code == 302
    assert _signs_in(client, admin.email, NEW_PASSWORD)
    admin.refresh_from_db()
    assert admin.history.filter(history_change_reason="Password reset by email").exists()
    delivery = EmailDelivery.objects.get(recipient=admin.email)
    assert delivery.status == EmailDelivery.Status.SENT
    assert delivery.email.kind == "password_reset"
    # The link works once.
    client.logout()
    again = client.get(link)
    assert again.status_code == 400 and "expired or has already been used" in \
        again.content.decode()


def test_the_reset_page_answers_the_same_whether_or_not_the_account_exists(admin, client):
    known = client.post(reverse("accounts:password-reset"), {"email": admin.email}, follow=True)
    unknown = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.org"},
                          follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    normalise = lambda r: re.sub(r'(nonce|value)="[^"]*"', "", r.content.decode()).replace(  # noqa: E731
        admin.email, "ADDRESS").replace("nobody@example.org", "ADDRESS")
    assert normalise(known) == normalise(unknown)
    assert EmailDelivery.objects.filter(recipient="nobody@example.org").count() == 0
    assert EmailDelivery.objects.filter(recipient=admin.email).count() == 1


def test_a_deactivated_or_invited_account_gets_no_reset_email(admin, cambs, make_user):
    person = make_user(Role.COMMISSIONER, cambs, email="c@example.org")
    services.user_set_active(user=person, active=False, by=admin)
    invited = _invite(admin, cambs).user
    services.password_reset_request(email=person.email, site_url=SITE)
    services.password_reset_request(email=invited.email, site_url=SITE)
    assert not EmailDelivery.objects.filter(email__kind="password_reset").exists()


# --- Rate limits ----------------------------------------------------------------------------


@pytest.fixture
def low_limits(settings):
    settings.CARESIGHT_RATE_LIMITS = {
        **settings.CARESIGHT_RATE_LIMITS, "password_reset": "5/h",
        "password_reset_address": "2/h", "invite": "5/h", "invite_address": "2/h"}
    cache.clear()
    yield
    cache.clear()


def test_password_resets_are_limited_per_address_and_per_client(admin, client, low_limits):
    url = reverse("accounts:password-reset")
    statuses = [client.post(url, {"email": admin.email}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert "Too many requests" in client.post(url, {"email": admin.email}).content.decode()
    assert EmailDelivery.objects.filter(recipient=admin.email).count() == 2
    others = [client.post(url, {"email": f"n{i}@example.org"}).status_code for i in range(4)]
    assert others[-1] == 429  # the client's own limit (5 an hour), across addresses


def test_invitations_are_limited_per_address(admin, cambs, client, low_limits):
    client.force_login(admin)
    url = reverse("accounts:user-invite")
    statuses = []
    for _ in range(3):
        token = client.get(url).context["form"]["submission_token"].initial
        statuses.append(client.post(url, {
            "email": "x@example.org", "full_name": "X", "role": Role.COMMISSIONER,
            "authorities": [cambs.pk], "submission_token": token}).status_code)
    assert statuses == [302, 302, 429]
