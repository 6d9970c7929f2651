"""Web hardening: headers, inline script, session time limits, lockout, two-factor by role,
rate limits and the client's address behind a proxy."""

import json
import re
import time
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.views import APIView

from caresight.accounts.models import Role
from caresight.core import security
from caresight.registry.tests.factories import LocationFactory
from conftest import PASSWORD


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(reverse("accounts:sign-in"), {"email": email, "password": password},
                       **extra)


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in
            (part.split() for part in header.split(";") if part.strip())}


class InlineCode(HTMLParser):
    """Collect every <script> and <style> with its nonce, and every inline handler or style."""

    def __init__(self):
        super().__init__()
        self.inline_scripts: list[str | None] = []  # nonces of scripts without src
        self.styles: list[str | None] = []
        self.handlers: list[str] = []
        self.style_attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes:
            self.inline_scripts.append(attributes.get("nonce"))
        if tag == "style":
            self.styles.append(attributes.get("nonce"))
        self.handlers += [f"{tag} {name}" for name in attributes if name.startswith("on")]
        if "style" in attributes:
            self.style_attributes.append(f"{tag} style={attributes['style']!r}")


def assert_no_inline_code_without_the_nonce(response, label: str) -> None:
    assert response.status_code == 200, label
    directives = csp_directives(response)
    nonces = {v[len("'nonce-"):-1] for v in directives["script-src"] if v.startswith("'nonce-")}
    parser = InlineCode()
    parser.feed(response.content.decode())
    assert parser.inline_scripts, f"{label}: the js-enabled snippet is missing"
    for nonce in parser.inline_scripts + parser.styles:
        assert nonce and nonce in nonces, f"{label}: inline code without the page's nonce"
    assert not parser.handlers, f"{label}: inline event handlers {parser.handlers}"
    assert not parser.style_attributes, f"{label}: style attributes {parser.style_attributes[:3]}"


@pytest.mark.django_db
class TestHeaders:
    def test_the_policy_allows_no_inline_script_and_no_framing(self, client):
        response = client.get(reverse("accounts:sign-in"))
        directives = csp_directives(response)
        assert directives["default-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in directives["script-src"]
        assert "'unsafe-inline'" not in directives["style-src"]
        assert any(v.startswith("'nonce-") for v in directives["script-src"])

    def test_each_page_has_its_own_nonce_on_its_snippet(self, client):
        first, second = (client.get(reverse("accounts:sign-in")) for _ in range(2))
        nonce = re.search(r'<script nonce="([^"]+)">', first.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in csp_directives(first)["script-src"]
        assert f"'nonce-{nonce}'" not in csp_directives(second)["script-src"]

    def test_main_pages_have_no_inline_script_or_style_without_the_nonce(
            self, client, make_user, cambs):
        home = LocationFactory(authority=cambs, name="Fen View Care Home")
        for label, url in [("sign-in", reverse("accounts:sign-in")),
                           ("open data", reverse("published:published"))]:
            assert_no_inline_code_without_the_nonce(client.get(url), label)
        client.force_login(make_user(Role.COMMISSIONER, cambs))
        pages = {
            "register": reverse("registry:location-list"),
            "a care home": reverse("registry:location-detail", args=[home.pk]),
            "summary": reverse("registry:summary"),
            "returns": reverse("returns:summary"),
            "completeness (a chart)": reverse("returns:completeness"),
            "a home's returns (a chart)": reverse("returns:location", args=[home.pk]),
            "outbreaks": reverse("outbreaks:tracker"),
            "risk log": reverse("risk:log"),
            "grants": reverse("grants:list"),
            "your account": reverse("accounts:account"),
            "two-factor set-up (a QR code)": reverse("accounts:two-factor-setup"),
        }
        for label, url in pages.items():
            assert_no_inline_code_without_the_nonce(client.get(url), label)

    def test_charts_carry_no_inline_style(self):
        import datetime as dt

        from caresight.core.charts import line_chart_svg

        svg = line_chart_svg(dates=[dt.date(2026, 3, 1), dt.date(2026, 3, 2)],
                             series=[("Returns", [3, 4])])
        assert "style" not in svg
        assert 'stroke="#1d70b8"' in svg  # the line keeps its colour

    def test_the_api_documentation_loads_its_script_from_a_url(self, client):
        page = client.get(reverse("api-docs"))
        parser = InlineCode()
        parser.feed(page.content.decode())
        nonces = csp_directives(page)["style-src"]
        assert all(f"'nonce-{n}'" in nonces for n in parser.styles)
        assert parser.inline_scripts == []
        script = client.get(reverse("api-docs") + "?script=")
        assert script.status_code == 200
        assert "SwaggerUIBundle" in script.content.decode()

    def test_permissions_policy_turns_off_features_no_page_uses(self, client):
        policy = client.get(reverse("accounts:sign-in"))["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
            assert feature in policy

    def test_record_pages_downloads_and_the_api_are_not_stored(self, client, make_user, cambs):
        client.force_login(make_user(Role.COMMISSIONER, cambs))
        for url in (reverse("registry:location-list"), reverse("registry:location-list")
                    + "?format=csv", "/api/locations/", reverse("accounts:account")):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Cache-Control"] == "no-store", url

    def test_the_public_open_data_pages_may_be_cached(self, client):
        response = client.get(reverse("published:published"))
        assert "no-store" not in response.get("Cache-Control", "")
        assert client.get(reverse("accounts:sign-in"))["Cache-Control"] == "no-store"


@pytest.mark.django_db
class TestSessionTimeLimits:
    @pytest.fixture
    def signed_in(self, client, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        assert sign_in(client, user.email).status_code == 302
        return client

    def set_clocks(self, client, *, signed_in_ago: float, seen_ago: float) -> None:
        session = client.session
        now = time.time()
        session[security.SIGNED_IN_AT] = now - signed_in_ago
        session[security.SEEN_AT] = now - seen_ago
        session.save()

    def test_signing_in_starts_the_clocks(self, signed_in):
        assert time.time() - signed_in.session[security.SIGNED_IN_AT] < 60
        assert time.time() - signed_in.session[security.SEEN_AT] < 60

    def test_a_session_in_use_carries_on(self, signed_in):
        self.set_clocks(signed_in, signed_in_ago=9 * 3600, seen_ago=29 * 60)
        assert signed_in.get(reverse("registry:location-list")).status_code == 200
        assert time.time() - signed_in.session[security.SEEN_AT] < 60

    def test_a_session_idle_for_30_minutes_ends_with_a_message(self, signed_in):
        self.set_clocks(signed_in, signed_in_ago=3600, seen_ago=31 * 60)
        url = reverse("registry:location-list")
        response = signed_in.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('accounts:sign-in')}?next={url}"
        assert "_auth_user_id" not in signed_in.session
        page = signed_in.get(response.url).content.decode()
        assert "had not used Caresight for 30 minutes" in page

    def test_the_idle_limit_is_a_setting(self, signed_in, settings):
        settings.CARESIGHT_SESSION_IDLE_MINUTES = 5
        self.set_clocks(signed_in, signed_in_ago=600, seen_ago=6 * 60)
        assert signed_in.get(reverse("registry:location-list")).status_code == 302

    def test_a_session_ends_10_hours_after_signing_in_even_in_use(self, signed_in):
        self.set_clocks(signed_in, signed_in_ago=10 * 3600 + 60, seen_ago=60)
        response = signed_in.get(reverse("registry:location-list"))
        assert response.status_code == 302
        assert "_auth_user_id" not in signed_in.session
        assert "signed in more than 10 hours ago" in signed_in.get(response.url).content.decode()

    def test_an_ended_session_gets_json_from_the_api(self, signed_in):
        self.set_clocks(signed_in, signed_in_ago=3600, seen_ago=31 * 60)
        response = signed_in.get("/api/locations/")
        assert response.status_code in (401, 403)
        assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
class TestLockout:
    def test_one_client_trying_many_email_addresses_is_locked_out(
            self, client, make_user, cambs, settings):
        settings.CARESIGHT_IP_FAILURE_LIMIT = 6
        user = make_user(Role.COMMISSIONER, cambs)
        for n in range(6):
            sign_in(client, f"guess{n}@example.org", "wrong")
        refused = sign_in(client, user.email)
        assert "You cannot sign in for now" in refused.content.decode()
        assert "_auth_user_id" not in client.session
        # the same person from another address is not locked out
        assert sign_in(client, user.email, REMOTE_ADDR="198.51.100.7").status_code == 302

    def test_fewer_failures_across_addresses_lock_nobody(self, client, make_user, cambs,
                                                        settings):
        settings.CARESIGHT_IP_FAILURE_LIMIT = 6
        user = make_user(Role.COMMISSIONER, cambs)
        for n in range(5):
            sign_in(client, f"guess{n}@example.org", "wrong")
        assert sign_in(client, user.email).status_code == 302

    def test_clients_behind_a_trusted_proxy_are_told_apart(self, client, make_user, cambs,
                                                          settings):
        settings.CARESIGHT_TRUSTED_PROXIES = 1
        settings.CARESIGHT_IP_FAILURE_LIMIT = 3
        user = make_user(Role.COMMISSIONER, cambs)
        for n in range(3):  # all from the proxy's address, for one client
            sign_in(client, f"guess{n}@example.org", "wrong",
                    HTTP_X_FORWARDED_FOR="203.0.113.66")
        locked = sign_in(client, user.email, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.66")
        assert "You cannot sign in for now" in locked.content.decode()
        other = sign_in(client, user.email, HTTP_X_FORWARDED_FOR="203.0.113.67")
        assert other.status_code == 302


class TestClientAddress:
    def request(self, **meta):
        return RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", **meta)

    def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(self, settings):
        settings.CARESIGHT_TRUSTED_PROXIES = 0
        assert security.client_ip(self.request(HTTP_X_FORWARDED_FOR="6.6.6.6")) == "10.0.0.5"

    def test_behind_proxies_the_address_the_outermost_one_saw_is_taken(self, settings):
        settings.CARESIGHT_TRUSTED_PROXIES = 1
        request = self.request(HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
        assert security.client_ip(request) == "203.0.113.9"
        settings.CARESIGHT_TRUSTED_PROXIES = 2
        request = self.request(HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.2")
        assert security.client_ip(request) == "203.0.113.9"

    def test_another_header_can_be_named_and_rubbish_is_not_believed(self, settings):
        settings.CARESIGHT_TRUSTED_PROXIES = 1
        settings.CARESIGHT_CLIENT_IP_HEADER = "X-Real-IP"
        assert security.client_ip(self.request(HTTP_X_REAL_IP="2001:db8::1")) == "2001:db8::1"
        assert security.client_ip(self.request(HTTP_X_REAL_IP="<script>")) == "10.0.0.5"
        assert security.client_ip(self.request()) == "10.0.0.5"


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.mark.django_db
class TestTwoFactorByRole:
    @pytest.fixture(autouse=True)
    def required(self, settings):
        settings.CARESIGHT_REQUIRE_2FA_ROLES = ["admin", "finance"]

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE])
    def test_administrators_and_finance_must_turn_it_on_first(self, client, make_user, cambs,
                                                            role):
        user = make_user(role, cambs)
        sign_in(client, user.email)
        response = client.get(reverse("registry:location-list"))
        assert response.url == reverse("accounts:two-factor-setup")
        assert "Your role needs two-factor sign-in" in client.get(response.url).content.decode()
        api = client.get("/api/locations/")
        assert api.status_code == 403
        assert api.json()["error"]["code"] == "two_factor_required"

        device = TOTPDevice.objects.get(user=user, confirmed=False)
        client.post(reverse("accounts:two-factor-setup"), {"code": current_code(device)})
        assert client.get(reverse("accounts:account")).status_code == 200
        client.post(reverse("accounts:two-factor-disable"))
        assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    def test_other_roles_are_not_asked(self, client, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        sign_in(client, user.email)
        assert client.get(reverse("registry:location-list")).status_code == 200

    def test_off_unless_the_setting_names_the_role(self, client, make_user, cambs, settings):
        settings.CARESIGHT_REQUIRE_2FA_ROLES = []
        sign_in(client, make_user(Role.ADMIN, cambs).email)
        assert client.get(reverse("registry:location-list")).status_code == 200


@pytest.mark.django_db
class TestRateLimits:
    @pytest.fixture(autouse=True)
    def low_limits(self, settings):
        settings.CARESIGHT_RATE_LIMITS = {"sign_in": "3/m", "upload": "2/h", "open_data": "3/m"}
        cache.clear()
        yield
        cache.clear()

    def test_sign_in_attempts_past_the_limit_get_a_429_page(self, client):
        for _ in range(3):
            assert sign_in(client, "someone@example.org", "wrong").status_code == 200
        response = sign_in(client, "someone@example.org", "wrong")
        assert response.status_code == 429
        assert response["Retry-After"] == "60"
        assert "Too many requests" in response.content.decode()
        assert "govuk-heading-l" in response.content.decode()
        # another client is not affected
        assert sign_in(client, "a@example.org", "wrong", REMOTE_ADDR="198.51.100.7"
                       ).status_code == 200

    def test_uploads_past_the_limit_get_a_429_page(self, client, make_user, cambs):
        client.force_login(make_user(Role.ADMIN, cambs))
        url = reverse("registry:import")
        for _ in range(2):
            response = client.post(url, {"file": SimpleUploadedFile("x.csv", b"nothing")})
            assert response.status_code != 429
        response = client.post(url, {"file": SimpleUploadedFile("x.csv", b"nothing")})
        assert response.status_code == 429
        assert client.get(url).status_code == 200  # only uploads are counted

    def test_open_data_pages_past_the_limit_get_a_429_page(self, client):
        url = reverse("published:published")
        for _ in range(3):
            assert client.get(url).status_code == 200
        assert client.get(url).status_code == 429

    def test_a_rate_says_how_long_to_wait(self):
        assert [security.rate_period_seconds(r) for r in ("20/m", "30/h", "100/5m", "1/d")] == [
            60, 3600, 300, 86400]

    def test_the_anonymous_api_past_its_limit_gets_json_429(self, client, monkeypatch):
        monkeypatch.setattr(APIView, "throttle_classes",
                            [security.AnonRateThrottle, security.UserRateThrottle])
        monkeypatch.setattr(security.AnonRateThrottle, "THROTTLE_RATES",
                            {"anon": "2/minute", "user": "100/minute"})
        monkeypatch.setattr(security.UserRateThrottle, "THROTTLE_RATES",
                            {"anon": "2/minute", "user": "100/minute"})
        url = reverse("api-schema") + "?format=json"
        for _ in range(2):
            assert client.get(url).status_code == 200
        response = client.get(url)
        assert response.status_code == 429
        assert "json" in response["Content-Type"]
        assert json.loads(response.content)["error"]["code"] == "throttled"
        assert int(response["Retry-After"]) > 0
