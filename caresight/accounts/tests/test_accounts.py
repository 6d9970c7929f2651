"""Sign-in, lockout, two-factor sign-in and the user command."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from caresight.accounts.models import Membership, Role, User
from conftest import PASSWORD


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("accounts:sign-in"), {"email": email, "password": password})


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.mark.django_db
class TestSignIn:
    def test_signs_in_with_email_and_password(self, client, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        response = sign_in(client, user.email.upper())
        assert response.status_code == 302
        assert client.get(reverse("accounts:account")).context["user"] == user

    def test_wrong_password_is_refused_with_a_message(self, client, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        response = sign_in(client, user.email, "wrong")
        assert "Enter a correct email address and password" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_locked_out_after_repeated_failures_even_with_the_right_password(
            self, client, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        for _ in range(5):
            sign_in(client, user.email, "wrong")
        response = sign_in(client, user.email)
        assert response.status_code in (403, 429)
        assert "You cannot sign in for now" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_pages_need_sign_in(self, client):
        response = client.get(reverse("registry:location-list"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:sign-in"))

    def test_sign_in_returns_to_the_page_asked_for_but_not_elsewhere(self, client, make_user,
                                                                     cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        url = reverse("accounts:sign-in")
        ok = client.post(url + "?next=/register/summary/", {"email": user.email,
                                                            "password": PASSWORD})
        assert ok.url == "/register/summary/"
        client.logout()
        evil = client.post(url, {"email": user.email, "password": PASSWORD,
                                 "next": "https://evil.example/"})
        assert evil.url == "/"


@pytest.mark.django_db
class TestTwoFactor:
    def test_turn_on_then_sign_in_needs_a_code(self, client, make_user, cambs, settings):
        # django-otp slows retries after a wrong code; this test retries at once.
        settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0
        user = make_user(Role.QUALITY_OFFICER, cambs)
        client.force_login(user)
        setup = client.get(reverse("accounts:two-factor-setup"))
        assert "<svg" in setup.content.decode()
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        wrong = client.post(reverse("accounts:two-factor-setup"), {"code": "000000"})
        assert "The code is not right" in wrong.content.decode()
        done = client.post(reverse("accounts:two-factor-setup"), {"code": current_code(device)})
        backup_codes = done.context["codes"]
        assert len(backup_codes) == 10
        client.logout()

        response = sign_in(client, user.email)
        assert response.url == reverse("accounts:sign-in-code")
        assert "_auth_user_id" not in client.session
        bad = client.post(reverse("accounts:sign-in-code"), {"code": "123456"})
        assert "The code is not right" in bad.content.decode()
        good = client.post(reverse("accounts:sign-in-code"), {"code": backup_codes[0]})
        assert good.status_code == 302
        assert client.get(reverse("accounts:account")).context["user"] == user

    def test_too_many_wrong_codes_start_again(self, client, make_user, cambs):
        user = make_user(Role.QUALITY_OFFICER, cambs)
        TOTPDevice.objects.create(user=user, confirmed=True)
        sign_in(client, user.email)
        for _ in range(5):
            response = client.post(reverse("accounts:sign-in-code"), {"code": "111111"})
        assert response.url == reverse("accounts:sign-in")
        assert client.get(reverse("accounts:sign-in-code")).url == reverse("accounts:sign-in")

    def test_provider_users_are_not_offered_two_factor(self, client, make_user, cambs,
                                                       provider_group):
        client.force_login(make_user(Role.PROVIDER_USER, cambs,
                                     provider=provider_group["provider"]))
        assert client.get(reverse("accounts:two-factor-setup")).status_code == 302


@pytest.mark.django_db
class TestUserCommand:
    def test_creates_a_user_with_a_role_over_an_authority(self, cambs, capsys):
        call_command("user", "create", "--email", "Ann@Example.org", "--role", "commissioner",
                     "--authority", "E10000003", "--organisation", "Cambridgeshire County Council")
        membership = Membership.objects.get(user__email="ann@example.org")
        assert membership.role == Role.COMMISSIONER
        assert list(membership.authorities.all()) == [cambs]
        assert membership.organisation.kind == "council"
        assert "Commissioner" in capsys.readouterr().out
        assert not User.objects.get(email="ann@example.org").has_usable_password()

    def test_a_region_code_means_every_authority_in_it(self, db):
        call_command("user", "create", "--email", "r@example.org", "--role", "viewer",
                     "--authority", "E12000006")
        membership = Membership.objects.get(user__email="r@example.org")
        assert membership.authorities.count() == 11  # East of England
        assert membership.organisation.kind == "regional_body"

    @pytest.mark.parametrize("args, message", [
        (["--authority", "E99999999"], "Unknown authority code"),
        (["--authority", "E10000003", "--password", "short"], "too short"),
    ])
    def test_bad_input_writes_nothing(self, db, args, message):
        with pytest.raises(CommandError, match=message):
            call_command("user", "create", "--email", "x@example.org", "--role", "finance", *args)
        assert not User.objects.filter(email="x@example.org").exists()

    def test_provider_users_need_a_known_provider(self, db):
        with pytest.raises(CommandError, match="No provider"):
            call_command("user", "create", "--email", "p@example.org", "--role", "provider_user",
                         "--authority", "E10000003", "--provider", "1-000000001")


@pytest.mark.django_db
def test_changes_to_people_and_roles_are_audited_and_shown_to_superusers(client, make_user,
                                                                        cambs):
    user = make_user(Role.FINANCE, cambs)
    user.full_name = "Fran Finance"
    user.save()
    assert user.history.count() == 2
    assert Membership.history.filter(user=user).exists()
    superuser = User.objects.create_superuser("root@example.org", PASSWORD)
    client.force_login(superuser)
    page = client.get(reverse("admin:accounts_user_history", args=[user.pk]))
    assert page.status_code == 200 and "Fran Finance" in page.content.decode()
